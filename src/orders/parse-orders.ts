import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { type ErrorDetail, InvalidRequestError } from './errors';
import { toStorableDecimal } from './decimal';
import type { Order } from './order';
import { buildOrdersRequestSchema } from './schema';

// DynamoDB's item limit is 400 KB; an order bigger than that would fail at write time as a 500, so refuse it
// up front. The estimate counts attribute names and values plus room for ttl and received_at.
const MAX_ITEM_BYTES = 400 * 1024;
const STORED_ATTRIBUTES_OVERHEAD = 128;

// No coercion, no defaults, no removal: the validator only judges, it never rewrites the input.
// strictNumbers is off so 1e400 (Infinity after conversion) passes the type check and gets the clearer
// "must be a finite number" from toStorableDecimal.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  strictNumbers: false,
});
const validators = new Map<number, ValidateFunction>();

/**
 * Compiles the request validator for this limit now rather than on the first request: a handler calls it at
 * module load, where Lambda's init phase runs it once per execution environment before any request waits.
 */
export function validatorFor(maxOrders: number): ValidateFunction {
  let validate = validators.get(maxOrders);
  if (!validate) {
    // Ajv 8 ships no draft-04 meta-schema; the keywords used mean the same in draft-04 and draft-07.
    const { $schema: _draft04, ...schema } = buildOrdersRequestSchema(maxOrders);
    validate = ajv.compile(schema as object);
    validators.set(maxOrders, validate);
  }
  return validate;
}

/**
 * Turns the request body text into validated orders, or throws InvalidRequestError describing every problem
 * found (capped). Nothing is stored before this has accepted the whole request.
 */
export function parseOrders(text: string, maxOrders: number): Order[] {
  const document = parseJson(text);

  // Too many orders is a 400 like any other schema violation: the API Gateway model (maxItems) answers 400
  // for the same request, so clients see the same status whichever layer catches it. The body-size limit
  // (413) is what bounds the work done before this point.
  if (Array.isArray(document) && document.length > maxOrders) {
    throw new InvalidRequestError('TOO_MANY_ORDERS', `A request may contain at most ${maxOrders} orders`, [
      { path: '', message: `must NOT have more than ${maxOrders} items (got ${document.length})` },
    ]);
  }

  const validate = validatorFor(maxOrders);
  if (!validate(plainView(document, 0))) {
    throw new InvalidRequestError(
      'INVALID_ORDERS',
      'The body must be an array of orders {record_id, parameter_1, parameter_2}',
      (validate.errors ?? []).map(toDetail),
    );
  }

  // The schema guarantees the shape from here on; numbers are still LosslessNumber with their exact text.
  return checkOrders(document as Array<Record<string, unknown>>);
}

function parseJson(text: string): unknown {
  // A BOM is not JSON (RFC 8259 §8.1); say so plainly instead of "unexpected character".
  if (text.charCodeAt(0) === 0xfeff) {
    throw new InvalidRequestError('INVALID_JSON', 'The body is not valid JSON', [
      { path: '', message: 'starts with a byte order mark (BOM); send UTF-8 JSON without one' },
    ]);
  }
  try {
    // lossless-json keeps every number's text, rejects duplicate keys with different values, and stores a
    // `__proto__` key as a plain own property instead of changing the object's prototype.
    return parseLossless(text);
  } catch (error) {
    const message =
      error instanceof RangeError ? 'is nested too deeply' : error instanceof Error ? error.message : 'cannot be parsed';
    throw new InvalidRequestError('INVALID_JSON', 'The body is not valid JSON', [{ path: '', message }]);
  }
}

/**
 * A copy that Ajv can judge: LosslessNumber becomes a JS number (only its type matters to the schema).
 * The schema looks no deeper than array -> order -> field, so neither does this copy; deeper values keep
 * their type, which is all the schema checks. Object.fromEntries defines own properties, so a `__proto__`
 * key stays a key and is reported by additionalProperties.
 */
function plainView(value: unknown, depth: number): unknown {
  if (isLosslessNumber(value)) return Number(value.value);
  if (depth >= 2 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => plainView(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainView(item, depth + 1)]));
}

function toDetail(error: ErrorObject): ErrorDetail {
  if (error.keyword === 'required') {
    return { path: `${error.instancePath}/${pointerToken(String(error.params.missingProperty))}`, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    return {
      path: `${error.instancePath}/${pointerToken(String(error.params.additionalProperty))}`,
      message: 'is not an allowed field',
    };
  }
  return { path: error.instancePath, message: error.message ?? 'is invalid' };
}

/** RFC 6901 escaping, so a key like "a/b" still yields an unambiguous path. */
function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The rules JSON Schema cannot express: storable numbers, well-formed text, item size, unique ids. */
function checkOrders(raw: Array<Record<string, unknown>>): Order[] {
  const problems: ErrorDetail[] = [];
  const duplicates: ErrorDetail[] = [];
  const firstIndexOf = new Map<string, number>();
  const orders: Order[] = [];

  raw.forEach((item, index) => {
    const recordId = item.record_id as string;
    const parameter1 = item.parameter_1 as string;
    const numberText = isLosslessNumber(item.parameter_2) ? item.parameter_2.value : String(item.parameter_2);

    const decimal = toStorableDecimal(numberText);
    if (!decimal.ok) problems.push({ path: `/${index}/parameter_2`, message: decimal.message });
    for (const [field, value] of [['record_id', recordId], ['parameter_1', parameter1]] as const) {
      // A lone surrogate cannot be encoded as UTF-8, so DynamoDB would refuse or mangle it.
      if (UNPAIRED_SURROGATE.test(value)) {
        problems.push({ path: `/${index}/${field}`, message: 'must be valid Unicode text (no unpaired surrogates)' });
      }
    }
    const size =
      Buffer.byteLength(recordId, 'utf8') + Buffer.byteLength(parameter1, 'utf8') + numberText.length + STORED_ATTRIBUTES_OVERHEAD;
    if (size > MAX_ITEM_BYTES) {
      problems.push({ path: `/${index}`, message: 'is too large to store; an order must be under 400 KB' });
    }

    const first = firstIndexOf.get(recordId);
    if (first === undefined) firstIndexOf.set(recordId, index);
    else duplicates.push({ path: `/${index}/record_id`, message: `duplicates the record_id at /${first}/record_id` });

    // Only the known fields are copied; nothing from the input object is spread into the result.
    if (decimal.ok) orders.push({ record_id: recordId, parameter_1: parameter1, parameter_2: decimal.text });
  });

  if (problems.length > 0) {
    throw new InvalidRequestError('INVALID_ORDERS', 'Some orders cannot be stored', [...problems, ...duplicates]);
  }
  if (duplicates.length > 0) {
    throw new InvalidRequestError('DUPLICATE_RECORD_ID', 'Each record_id may appear only once per request', duplicates);
  }
  return orders;
}
