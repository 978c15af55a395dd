// Scenarios: fast-check (seed 42) sequences of random requests — clean orders from a small id pool (upserts), near-valid orders with field mutations, random JSON values, random text and bytes, varied content types, occasional 1000/1001-order bodies — never 5xx, 201 iff an independent oracle says valid (else its 415/413/400), SPEC error shape, and the in-memory table equals the oracle's last-write-wins model, every item the calling customer's and `received`.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { OrdersTableFake } from '../fixtures/orders/dynamo';
import { CUSTOMER, lambdaContext, postEvent, setHandlerEnv } from '../fixtures/orders/events';

setHandlerEnv({ MAX_ORDERS_PER_REQUEST: '1000', MAX_BODY_BYTES: '1048576' });
const MAX_ORDERS = 1000;
const MAX_BODY_BYTES = 1_048_576;
const FIELDS = ['record_id', 'parameter_1', 'parameter_2'] as const;

type PostOrdersHandler = typeof import('../../src/handlers/post-orders').handler;
interface FuzzRequest {
  readonly contentType: string | undefined;
  readonly body: string | Uint8Array;
  /** Send a text body base64-encoded, as API Gateway does for binary media types. */
  readonly base64: boolean;
}
type Row = readonly [recordId: string, parameter1: string, parameter2: string];
type Verdict = { status: 201; rows: Row[] } | { status: 400 | 413 | 415 };

// ---------------------------------------------------------------------------------------------------------------
// Oracle: the contract (SPEC 2.1) written out plainly, sharing no code with src/.
// ---------------------------------------------------------------------------------------------------------------

/** The content types the generators use that are JSON in UTF-8; every other generated one must get 415. */
const JSON_CONTENT_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/vnd.orders+json']);

/** A JSON number with the exact text it had in the body. */
class NumberText {
  constructor(readonly text: string) {}
}
const NUMBER_MARKER = '\u0000number';

/**
 * JSON.parse, but numbers come back as NumberText. Only called on text JSON.parse accepts: there, a token is
 * either a whole string or, outside strings, a number is the only thing containing digits or '-'.
 */
function parseKeepingNumberText(text: string): unknown {
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) =>
    token.startsWith('"') ? token : JSON.stringify({ [NUMBER_MARKER]: token }),
  );
  return JSON.parse(marked, (_key, value) =>
    value !== null && typeof value === 'object' && typeof value[NUMBER_MARKER] === 'string' ? new NumberText(value[NUMBER_MARKER]) : value,
  );
}

/** What DynamoDB can hold exactly: finite, at most 38 significant digits, 1e-130 <= |x| < 1e126 or zero. */
function storedNumber(text: string): string | undefined {
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const mantissa = text.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '');
  const significant = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  if (significant === '') return '0'; // any zero, -0 included
  if (significant.length > 38) return undefined;
  return Math.abs(value) >= 1e-130 && Math.abs(value) < 1e126 ? text : undefined;
}

/** Text that UTF-8 can carry: no unpaired surrogate. */
const wellFormed = (value: string) => !/\p{Cs}/u.test(value);

// Strings in the generators stay short, so DynamoDB's 400 KB item limit never applies here (the corpus covers it).
function oracle(request: FuzzRequest): Verdict {
  if (request.contentType === undefined || !JSON_CONTENT_TYPES.has(request.contentType)) return { status: 415 };
  const bytes = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body);
  if (bytes.length > MAX_BODY_BYTES) return { status: 413 };
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { status: 400 }; // BOM

  let document: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    JSON.parse(text);
    document = parseKeepingNumberText(text);
  } catch {
    return { status: 400 };
  }
  if (!Array.isArray(document) || document.length < 1 || document.length > MAX_ORDERS) return { status: 400 };

  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const item of document) {
    if (item === null || typeof item !== 'object' || Array.isArray(item) || item instanceof NumberText) return { status: 400 };
    if (Object.keys(item).sort().join(',') !== [...FIELDS].sort().join(',')) return { status: 400 };
    const { record_id: recordId, parameter_1: parameter1, parameter_2: parameter2 } = item as Record<string, unknown>;
    if (typeof recordId !== 'string' || !wellFormed(recordId)) return { status: 400 };
    const characters = [...recordId].length;
    if (characters < 1 || characters > 128) return { status: 400 };
    if (typeof parameter1 !== 'string' || !wellFormed(parameter1)) return { status: 400 };
    if (!(parameter2 instanceof NumberText)) return { status: 400 };
    const stored = storedNumber(parameter2.text);
    if (stored === undefined) return { status: 400 };
    if (seen.has(recordId)) return { status: 400 };
    seen.add(recordId);
    rows.push([recordId, parameter1, stored]);
  }
  return { status: 201, rows };
}

// ---------------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------------

const rawJson = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value));

// A small id pool makes duplicates within a request and upserts across requests common.
const recordIdArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }).map((i) => `fz-${i}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 140 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', ' ', 'x'.repeat(128), 'x'.repeat(129), '🔋'.repeat(128), '🔋'.repeat(129), '\ud800', 'a\udc00b', '__proto__', 'constructor', 'été-日本'),
  },
);
const parameter1Arb = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('', '\ud83d', '💡'));
const numberTextArb = fc.oneof(
  fc.integer().map(String),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 })
    .filter((x) => x === 0 || Math.abs(x) >= 1e-100)
    .map((x) => JSON.stringify(x)),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.constantFrom('2.1', '-0', '0.0', '-0.0e5', '9007199254740993', '1e400', '-1e400', '1e-400', '1e-130', '1e126', '1.5E+3', '123456789012345678901234567890123456789'),
);
const extraKeyArb = fc
  .oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'Record_id', 'parameter2'), fc.string({ maxLength: 10 }))
  .filter((key) => !(FIELDS as readonly string[]).includes(key));
const fieldArb = fc.constantFrom(...FIELDS);
const mutationArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), field: fieldArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), field: fieldArb, raw: rawJson }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extra' as const), key: extraKeyArb, raw: rawJson }) },
);

/** One order as raw JSON text; pairs keep keys such as `__proto__` literal and numbers as generated. */
const orderTextArb = fc
  .record({ id: recordIdArb, p1: parameter1Arb, p2: numberTextArb, mutation: mutationArb, reversed: fc.boolean() })
  .map(({ id, p1, p2, mutation, reversed }) => {
    let pairs: Array<[string, string]> = [
      ['record_id', JSON.stringify(id)],
      ['parameter_1', JSON.stringify(p1)],
      ['parameter_2', p2],
    ];
    if (mutation.kind === 'drop') pairs = pairs.filter(([key]) => key !== mutation.field);
    if (mutation.kind === 'replace') pairs = pairs.map(([key, raw]) => [key, key === mutation.field ? mutation.raw : raw]);
    if (mutation.kind === 'extra') pairs.push([mutation.key, mutation.raw]);
    if (reversed) pairs.reverse();
    return `{${pairs.map(([key, raw]) => `${JSON.stringify(key)}:${raw}`).join(',')}}`;
  });

const ordersBodyArb = fc
  .tuple(fc.array(orderTextArb, { maxLength: 5 }), fc.constantFrom('', ' ', '\n', '\t\r\n'))
  .map(([items, space]) => `${space}[${items.join(`,${space}`)}]${space}`);

/** Valid orders with distinct ids from the small pool, so consecutive accepted requests overwrite each other. */
const cleanOrdersBodyArb = fc
  .uniqueArray(
    fc.record({
      record_id: fc.integer({ min: 0, max: 7 }).map((i) => `fz-${i}`),
      parameter_1: fc.string({ maxLength: 12 }),
      parameter_2: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 })),
    }),
    { minLength: 1, maxLength: 4, selector: (order) => order.record_id },
  )
  .map((items) => JSON.stringify(items));

/** 1000 (valid) or 1001 (too many) distinct orders, so the limit is probed in the same stream. */
const bulkBodyArb = fc
  .tuple(fc.constantFrom(MAX_ORDERS, MAX_ORDERS + 1), fc.integer({ min: 0, max: 3 }))
  .map(([count, batch]) => JSON.stringify(Array.from({ length: count }, (_, i) => ({ record_id: `bulk-${batch}-${i}`, parameter_1: 'p', parameter_2: i }))));

const bodyArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 8, arbitrary: cleanOrdersBodyArb },
  { weight: 12, arbitrary: ordersBodyArb },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  { weight: 1, arbitrary: fc.constantFrom('\ud800[]', '\ufeff[]', '[{"record_id":"fz-0","parameter_1":"a","parameter_2":NaN}]') },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: bulkBodyArb },
);
const contentTypeArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/xml', 'application/json; charset=latin1', 'json', '') },
);
const requestArb: fc.Arbitrary<FuzzRequest> = fc.record({ contentType: contentTypeArb, body: bodyArb, base64: fc.boolean() });

// ---------------------------------------------------------------------------------------------------------------
// System under test: the module's handler with an in-memory table behind a mocked DynamoDB document client.
// ---------------------------------------------------------------------------------------------------------------

const ddbMock = mockClient(DynamoDBDocumentClient);
const table = new OrdersTableFake();
let handler: PostOrdersHandler;

beforeAll(async () => {
  ddbMock.reset();
  table.install(ddbMock);
  ({ handler } = await import('../../src/handlers/post-orders'));
});

/** The table's orders as oracle rows. */
function tableRows(): Row[] {
  return [...table.items.values()].map((item) => {
    expect(item).toMatchObject({ customer: CUSTOMER, status: 'received' });
    return [item.record_id as string, item.parameter_1 as string, String(item.parameter_2)] as const;
  });
}

afterAll(() => {
  ddbMock.restore();
});

async function send(request: FuzzRequest): Promise<APIGatewayProxyResult> {
  const headers: Record<string, string> = request.contentType === undefined ? {} : { 'content-type': request.contentType };
  const binary = typeof request.body !== 'string' || request.base64;
  const body = binary ? Buffer.from(typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body).toString('base64') : request.body;
  return handler(postEvent(body as string, { headers, isBase64Encoded: binary }), lambdaContext);
}

function expectErrorShape(body: unknown): void {
  expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } });
  for (const detail of (body as { error: { details: unknown[] } }).error.details) {
    expect(detail).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
}

const sortedRows = (rows: Iterable<Row>) => [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

test('random request sequences: never 5xx, 201 iff the oracle accepts, table equals the last-write-wins model', async () => {
  const seenStatuses = new Map<number, number>();

  await fc.assert(
    fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 5 }), async (requests) => {
      table.items.clear();
      const model = new Map<string, Row>();

      for (const request of requests) {
        const verdict = oracle(request);
        const response = await send(request);
        seenStatuses.set(response.statusCode, (seenStatuses.get(response.statusCode) ?? 0) + 1);

        expect(response.statusCode).toBeLessThan(500);
        expect(response.statusCode).toBe(verdict.status);
        expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
        const body = JSON.parse(response.body);
        if (verdict.status === 201) {
          expect(body).toEqual({ accepted: verdict.rows.length });
          for (const row of verdict.rows) model.set(row[0], row);
        } else {
          expectErrorShape(body);
        }
      }
      expect(sortedRows(tableRows())).toEqual(sortedRows(model.values()));
    }),
    { seed: 42, numRuns: 300 },
  );

  // Guards against a vacuous run: the generators must reach both sides of the oracle and every refusal kind.
  expect(seenStatuses.get(201)).toBeGreaterThan(100);
  expect(seenStatuses.get(400)).toBeGreaterThan(200);
  expect(seenStatuses.get(415)).toBeGreaterThan(50);
}, 120_000); // one mocked PutItem per order: the 1000-order bodies take most of the ~20 s

test('oracle sanity: it accepts a plain order and refuses the classic bad ones', () => {
  const json = (body: string): FuzzRequest => ({ contentType: 'application/json', body, base64: false });

  expect(oracle(json('[{"record_id":"a","parameter_1":"b","parameter_2":-0}]'))).toEqual({ status: 201, rows: [['a', 'b', '0']] });
  expect(oracle(json('[{"parameter_2":9007199254740993,"record_id":"a","parameter_1":"b"}]'))).toEqual({ status: 201, rows: [['a', 'b', '9007199254740993']] });
  expect(oracle(json('[{"record_id":"a","parameter_1":"2","parameter_2":2.1}]'))).toEqual({ status: 201, rows: [['a', '2', '2.1']] });
  for (const bad of ['[]', '{}', '[{"record_id":"a","parameter_1":"b","parameter_2":1e400}]', '[{"record_id":"a","parameter_1":"b","parameter_2":"1"}]', '[{"record_id":"","parameter_1":"b","parameter_2":1}]', '[{"record_id":"a","parameter_1":"b","parameter_2":1,"__proto__":1}]', '[{"record_id":"a","parameter_1":"b","parameter_2":1},{"record_id":"a","parameter_1":"c","parameter_2":2}]']) {
    expect(oracle(json(bad))).toEqual({ status: 400 });
  }
  expect(oracle({ contentType: 'text/plain', body: '[]', base64: false })).toEqual({ status: 415 });
});
