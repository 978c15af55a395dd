// Scenarios: expired items removed by the TTL sweep; valid orders stored with ttl/received_at and exact decimals; missing API key 403; schema-invalid and duplicate-id bodies 400 with nothing written; unknown route 404; upsert of a repeated record_id.
import { randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalRuntime, postOrders, startLocalRuntime, waitFor } from './harness';

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({}, { LOCAL_TTL_SWEEP_SECONDS: '0.5' });
});

afterAll(async () => {
  await runtime?.stop();
});

const uniqueId = (label: string) => `e2e-${label}-${randomUUID()}`;

async function getOrder(recordId: string) {
  const { Item } = await runtime.dynamodb.send(
    new GetItemCommand({ TableName: runtime.endpoints.tableName, Key: { record_id: { S: recordId } }, ConsistentRead: true }),
  );
  return Item;
}

describe('POST /orders on the local API', () => {
  it('stores every order with a 24h ttl and received_at, keeping decimals exact', async () => {
    const orders = [
      { record_id: uniqueId('a'), parameter_1: 'abc', parameter_2: 2.1 },
      { record_id: uniqueId('b'), parameter_1: 'def', parameter_2: 4 },
    ];
    const before = Math.floor(Date.now() / 1000);

    const res = await postOrders(runtime, orders);

    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ accepted: 2 });
    const item = await getOrder(orders[0].record_id);
    expect(item).toBeDefined();
    expect(item?.parameter_1).toEqual({ S: 'abc' });
    expect(item?.parameter_2).toEqual({ N: '2.1' });
    const ttl = Number(item?.ttl?.N);
    expect(ttl).toBeGreaterThanOrEqual(before + 24 * 3600);
    expect(ttl).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 24 * 3600);
    expect(new Date(String(item?.received_at?.S)).getTime()).toBeGreaterThanOrEqual((before - 1) * 1000);
    expect((await getOrder(orders[1].record_id))?.parameter_2).toEqual({ N: '4' });
  });

  it('treats a repeated record_id as an upsert (last write wins)', async () => {
    const id = uniqueId('upsert');
    expect((await postOrders(runtime, [{ record_id: id, parameter_1: 'first', parameter_2: 1 }])).status).toBe(201);

    const res = await postOrders(runtime, [{ record_id: id, parameter_1: 'second', parameter_2: 2 }]);

    expect(res.status).toBe(201);
    expect((await getOrder(id))?.parameter_1).toEqual({ S: 'second' });
  });

  it('answers 403 without the API key and writes nothing', async () => {
    const id = uniqueId('nokey');

    const res = await postOrders(runtime, [{ record_id: id, parameter_1: 'x', parameter_2: 1 }], { 'x-api-key': 'wrong' });

    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Forbidden' });
    expect(await getOrder(id)).toBeUndefined();
  });

  it('answers 400 for a body that breaks the schema and writes none of its orders', async () => {
    const valid = uniqueId('valid');

    const res = await postOrders(runtime, [
      { record_id: valid, parameter_1: 'ok', parameter_2: 1 },
      { record_id: uniqueId('bad'), parameter_1: 'missing parameter_2' },
    ]);

    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_ORDERS');
    expect(body.error.message).toMatch(/"parameter_2": number/);
    expect(await getOrder(valid)).toBeUndefined();
  });

  it('answers 400 for duplicate record_ids in one request and writes nothing', async () => {
    const id = uniqueId('dup');

    const res = await postOrders(runtime, [
      { record_id: id, parameter_1: 'a', parameter_2: 1 },
      { record_id: id, parameter_1: 'b', parameter_2: 2 },
    ]);

    expect(res.status).toBe(400);
    expect(await getOrder(id)).toBeUndefined();
  });

  it('expires items whose ttl has passed, like DynamoDB TTL, and keeps live ones', async () => {
    const [expired, live] = [uniqueId('expired'), uniqueId('live')];
    const now = Math.floor(Date.now() / 1000);
    for (const [id, ttl] of [[expired, now - 10], [live, now + 3600]] as const) {
      await runtime.dynamodb.send(
        new PutItemCommand({ TableName: runtime.endpoints.tableName, Item: { record_id: { S: id }, ttl: { N: String(ttl) } } }),
      );
    }

    await waitFor('the expired item to go', async () => ((await getOrder(expired)) ? undefined : true), 10_000);

    expect(await getOrder(live)).toBeDefined();
  });

  it('answers 404 for a route the template does not declare', async () => {
    const res = await fetch(`${runtime.endpoints.api}/nowhere`, { headers: { 'x-api-key': runtime.endpoints.apiKey } });

    expect(res.status).toBe(404);
  });
});
