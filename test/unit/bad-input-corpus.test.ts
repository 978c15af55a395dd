// Scenarios: every named bad-input corpus case through the real post-orders handler (in-memory DynamoDB fake) -> 201 or the expected 4xx, never 5xx; SPEC error shape and JSON content type; refused requests write nothing; the table ends with exactly the valid orders of the calling customer and exact decimals; no prototype pollution; corpus self-checks.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type BadInputCase, badInputCorpus, bodyBytes, contentTypeHeader, expectedStoredIds } from '../fixtures/bad-input/corpus';
import { OrdersTableFake } from '../fixtures/orders/dynamo';
import { CUSTOMER, lambdaContext, postEvent, setHandlerEnv } from '../fixtures/orders/events';

// The module's own handler with its production wiring (env config, shared document client); only the SDK is faked.
setHandlerEnv({ MAX_ORDERS_PER_REQUEST: '1000', MAX_BODY_BYTES: '1048576' });

type Outcome = { response: APIGatewayProxyResult; writes: number };

const ddbMock = mockClient(DynamoDBDocumentClient);
const table = new OrdersTableFake();
const outcomes = new Map<string, Outcome>();
const prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();

/** The stored items by record_id; every one must belong to the calling customer. */
function storedOrders(): Map<string, Record<string, unknown>> {
  const byId = new Map<string, Record<string, unknown>>();
  for (const item of table.items.values()) {
    if (item.customer !== CUSTOMER) throw new Error(`item of unexpected customer ${String(item.customer)}`);
    byId.set(item.record_id as string, item);
  }
  return byId;
}

function eventFor(testCase: BadInputCase) {
  const contentType = contentTypeHeader(testCase);
  const headers: Record<string, string> = contentType === undefined ? {} : { 'Content-Type': contentType };
  // Binary bodies arrive base64-encoded, as API Gateway delivers bytes that are not text.
  if (Buffer.isBuffer(testCase.body)) return postEvent(bodyBytes(testCase).toString('base64'), { headers, isBase64Encoded: true });
  return postEvent(testCase.body, { headers });
}

function expectErrorShape(body: unknown): void {
  expect(body).toEqual({
    error: {
      code: expect.any(String),
      message: expect.any(String),
      details: expect.any(Array),
    },
  });
  const { code, message, details } = (body as { error: { code: string; message: string; details: unknown[] } }).error;
  expect(code).toMatch(/^[A-Z_]+$/);
  expect(message.length).toBeGreaterThan(0);
  for (const detail of details) {
    expect(detail).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
}

beforeAll(async () => {
  ddbMock.reset();
  table.install(ddbMock);
  const { handler } = await import('../../src/handlers/post-orders');
  // Sequentially, in corpus order, against one table: the final contents are the sum of all cases.
  for (const testCase of badInputCorpus) {
    const before = table.writes;
    const response = await handler(eventFor(testCase), lambdaContext);
    outcomes.set(testCase.name, { response, writes: table.writes - before });
  }
});

afterAll(() => {
  ddbMock.restore();
});

describe('corpus', () => {
  test('has at least 45 uniquely named cases, and every 201 case lists the ids it stores', () => {
    const names = badInputCorpus.map((testCase) => testCase.name);

    expect(names.length).toBeGreaterThanOrEqual(45);
    expect(new Set(names).size).toBe(names.length);
    for (const testCase of badInputCorpus) {
      if (testCase.expectStatus === 201) expect(testCase.expectStored?.length).toBeGreaterThan(0);
      else expect(testCase.expectStored).toBeUndefined();
    }
  });

  test('covers every status of the contract', () => {
    expect(new Set(badInputCorpus.map((testCase) => testCase.expectStatus))).toEqual(new Set([201, 400, 413, 415]));
  });
});

describe.each(badInputCorpus.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
  test(`answers ${testCase.expectStatus} with a JSON body, never 5xx`, () => {
    const { response } = outcomes.get(testCase.name)!;

    expect(response.statusCode).toBeLessThan(500);
    expect(response.statusCode).toBe(testCase.expectStatus);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
    const body = JSON.parse(response.body);
    if (testCase.expectStatus === 201) expect(body).toEqual({ accepted: testCase.expectStored!.length });
    else expectErrorShape(body);
  });

  if (testCase.expectStatus === 201) {
    test('stores every order of the request', () => {
      const stored = storedOrders();
      for (const id of testCase.expectStored!) expect(stored.has(id)).toBe(true);
      for (const [id, text] of Object.entries(testCase.expectNumbers ?? {})) {
        expect(String(stored.get(id)?.parameter_2)).toBe(text);
      }
    });
  } else {
    test('writes nothing', () => {
      expect(outcomes.get(testCase.name)!.writes).toBe(0);
    });
  }
});

describe('after the whole corpus', () => {
  test('the table holds exactly the orders of the 201 cases', () => {
    expect(new Set(storedOrders().keys())).toEqual(expectedStoredIds());
  });

  test('stored items have only the known attributes', () => {
    for (const item of table.items.values()) {
      expect(Object.keys(item).sort()).toEqual(['auction_id', 'customer', 'parameter_1', 'parameter_2', 'received_at', 'record_id', 'status', 'ttl']);
      expect(typeof item.parameter_1).toBe('string');
      expect(item.status).toBe('received');
    }
  });

  test('Object.prototype is not polluted', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(Object.prototype.constructor).toBe(Object);
  });
});
