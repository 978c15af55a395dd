// Scenarios: the exported request schema is a plain draft-04 JSON object (usable as an API Gateway model), maxItems follows the parameter, and it rejects extra fields.
import { buildOrdersRequestSchema, DEFAULT_MAX_ORDERS_PER_REQUEST, ordersRequestSchema } from '../../src/orders/schema';

const DRAFT_04_KEYWORDS = new Set([
  '$schema', 'title', 'type', 'minItems', 'maxItems', 'items', 'required', 'additionalProperties', 'properties',
  'minLength', 'maxLength',
]);

function keywordsOf(schema: unknown): string[] {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return [];
  return Object.entries(schema).flatMap(([key, value]) =>
    key === 'properties' ? Object.values(value as object).flatMap(keywordsOf).concat(key) : [key, ...keywordsOf(value)],
  );
}

describe('ordersRequestSchema', () => {
  it('is plain JSON declaring draft-04 with the default limit', () => {
    expect(JSON.parse(JSON.stringify(ordersRequestSchema))).toEqual(ordersRequestSchema);
    expect(ordersRequestSchema).toMatchObject({
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: 'array',
      minItems: 1,
      maxItems: DEFAULT_MAX_ORDERS_PER_REQUEST,
    });
    expect(DEFAULT_MAX_ORDERS_PER_REQUEST).toBe(1000);
  });

  it('uses only draft-04 keywords', () => {
    expect(keywordsOf(ordersRequestSchema).filter((k) => !DRAFT_04_KEYWORDS.has(k))).toEqual([]);
  });

  it('takes maxItems from its parameter and rejects extra fields', () => {
    const schema = buildOrdersRequestSchema(7);

    expect(schema.maxItems).toBe(7);
    expect(schema.items).toMatchObject({
      additionalProperties: false,
      required: ['record_id', 'parameter_1', 'parameter_2'],
      properties: { record_id: { type: 'string', minLength: 1, maxLength: 128 }, parameter_2: { type: 'number' } },
    });
  });
});
