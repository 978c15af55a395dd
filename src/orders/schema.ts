/** Largest batch a client may send unless MAX_ORDERS_PER_REQUEST says otherwise (SPEC 2.1). */
export const DEFAULT_MAX_ORDERS_PER_REQUEST = 1000;
export const RECORD_ID_MAX_LENGTH = 128;

/**
 * JSON Schema of the POST /orders body. Draft-04 keywords only, because the same object is the API Gateway
 * request model (the first line of defence) and the handler's own validation, so the two cannot drift.
 * Extra fields are rejected (additionalProperties: false): a typo such as `parameter2` fails loudly instead of
 * being stored silently, and unknown keys like `__proto__` never reach the domain.
 * What JSON Schema cannot express (unique record_ids, finite numbers DynamoDB can store) is checked in code.
 */
export function buildOrdersRequestSchema(maxItems: number = DEFAULT_MAX_ORDERS_PER_REQUEST) {
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: 'OrdersRequest',
    type: 'array',
    minItems: 1,
    maxItems,
    items: {
      type: 'object',
      required: ['record_id', 'parameter_1', 'parameter_2'],
      additionalProperties: false,
      properties: {
        record_id: { type: 'string', minLength: 1, maxLength: RECORD_ID_MAX_LENGTH },
        parameter_1: { type: 'string' },
        parameter_2: { type: 'number' },
      },
    },
  } as const;
}

/** The request model with the default limit, as a plain object for the API Gateway model. */
export const ordersRequestSchema = buildOrdersRequestSchema();
