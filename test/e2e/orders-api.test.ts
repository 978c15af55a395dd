// Scenarios: orders POSTed after a run closed their auction go to the next auction and stay `received`; a re-POST naming an order the run took -> 409 ORDER_LOCKED listing its id, the whole request refused and the stored orders unchanged; a re-POST of a `received` order replaces it; a stored order has status received, auction_id = the next hourly gate still open, received_at, ttl = received_at + 24 h and parameter_2's exact digits (API and DynamoDB); duplicate ids and schema errors -> 400 with nothing written; an expired order is gone for GET and may be taken again, and the TTL sweep deletes it; unknown routes and unknown methods of known routes -> 404 NOT_FOUND in the error shape.
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type ApiOrder,
  auctionAfter,
  errorShape,
  getOrder,
  orderOf,
  type OrderInput,
  platformSubmissions,
  postOrders,
  rawGet,
  rawParameter2,
  type Run,
  runAuction,
  shiftAuction,
  startSystem,
  type System,
  uniqueId,
} from './lifecycle';
import { sleep, waitFor } from './harness';

let system: System;

beforeAll(async () => {
  system = await startSystem({ ttlSweepSeconds: 1 });
});

afterAll(async () => {
  await system?.stop();
});

async function tableItem(customer: string, recordId: string) {
  const { Item } = await system.dynamodb.send(
    new GetItemCommand({ TableName: system.endpoints.tableName, Key: { customer: { S: customer }, record_id: { S: recordId } }, ConsistentRead: true }),
  );
  return Item;
}

/** The auction the first describe's run closed; later orders go to the first open auction after it. */
let closedAuction: string;

describe('an order that a run has taken is binding', () => {
  const a: OrderInput = { record_id: uniqueId('lock-a'), parameter_1: 'first', parameter_2: '1.5' };
  const b: OrderInput = { record_id: uniqueId('lock-b'), parameter_1: 'second', parameter_2: '2.5' };
  const late: OrderInput = { record_id: uniqueId('late'), parameter_1: 'after the gate', parameter_2: '3.5' };
  let run: Run;
  let afterRun: Record<string, string>;

  beforeAll(async () => {
    expect((await postOrders(system, 'default', [a, b])).status).toBe(201);
    run = await runAuction(system, { close: 'now' }, 'locking');
    closedAuction = run.summary!.auction_id;
    expect((await postOrders(system, 'default', [late])).status).toBe(201);
    afterRun = Object.fromEntries(await Promise.all([a, b, late].map(async (o) => [o.record_id, (await getOrder(system, 'default', o.record_id)).text])));
  });

  it('takes the orders of the closed auction to their final status', async () => {
    expect(run.summary).toMatchObject({ total: 2, accepted: 1, rejected: 1, failed: 0 });
    for (const order of [a, b]) {
      expect(await orderOf(system, 'default', order.record_id)).toMatchObject({ auction_id: closedAuction, status: expect.stringMatching(/^(accepted|rejected)$/) });
    }
  });

  it('puts an order POSTed after the run closed the auction into the next auction, where it stays received', async () => {
    const order = await orderOf(system, 'default', late.record_id);

    expect(order).toMatchObject({ status: 'received', auction_id: shiftAuction(closedAuction, 1) });
    expect(order.submitted_at).toBeUndefined();
    await sleep(1000);
    expect((await orderOf(system, 'default', late.record_id)).status).toBe('received');
    expect((await platformSubmissions(system)).map((s) => s.order_id)).not.toContain(`default:${late.record_id}`);
  });

  it('refuses a re-POST of a taken order with 409 ORDER_LOCKED listing it, and changes nothing', async () => {
    const itemBefore = await tableItem('default', a.record_id);

    const answer = await postOrders(system, 'default', [{ ...a, parameter_1: 'changed', parameter_2: '9' }]);

    expect(answer.status).toBe(409);
    expect(answer.json).toEqual(errorShape('ORDER_LOCKED'));
    const { error } = answer.json as { error: { message: string; details: Array<{ path: string; message: string }> } };
    expect(error.message).toContain(a.record_id);
    expect(error.details).toEqual([{ path: '/0/record_id', message: expect.stringContaining(a.record_id) }]);
    expect((await getOrder(system, 'default', a.record_id)).text).toBe(afterRun[a.record_id]);
    expect(await tableItem('default', a.record_id)).toEqual(itemBefore);
  });

  it('refuses the whole request when one of its orders is taken: the received one in it is not replaced either', async () => {
    const answer = await postOrders(system, 'default', [
      { ...late, parameter_1: 'must not be stored' },
      { ...b, parameter_1: 'must not be stored' },
    ]);

    expect(answer.status).toBe(409);
    const { error } = answer.json as { error: { message: string; details: Array<{ path: string; message: string }> } };
    expect(error.details).toEqual([{ path: '/1/record_id', message: expect.stringContaining(b.record_id) }]);
    expect(error.message).toContain(b.record_id);
    expect(error.message).not.toContain(late.record_id);
    for (const order of [late, b]) expect((await getOrder(system, 'default', order.record_id)).text).toBe(afterRun[order.record_id]);
  });

  it('replaces an order that is still received (last write wins)', async () => {
    const before = JSON.parse(afterRun[late.record_id]) as ApiOrder;

    const answer = await postOrders(system, 'default', [{ ...late, parameter_1: 'replaced', parameter_2: '4.75' }]);

    expect([answer.status, answer.json]).toEqual([201, { accepted: 1 }]);
    const after = await getOrder(system, 'default', late.record_id);
    expect(after.json).toMatchObject({ record_id: late.record_id, parameter_1: 'replaced', status: 'received', auction_id: shiftAuction(closedAuction, 1) });
    expect(rawParameter2(after.text)).toBe('4.75');
    expect(Date.parse((after.json as ApiOrder).received_at)).toBeGreaterThan(Date.parse(before.received_at));
  });
});

describe('POST /orders', () => {
  it('stores an order as received in the next open hourly auction, for 24 hours, with exact decimals', async () => {
    const order: OrderInput = { record_id: uniqueId('stored'), parameter_1: 'abc', parameter_2: '2.1' };

    const answer = await postOrders(system, 'default', [order]);

    expect([answer.status, answer.json]).toEqual([201, { accepted: 1 }]);
    const got = await getOrder(system, 'default', order.record_id);
    const stored = got.json as ApiOrder;
    const receivedAt = new Date(stored.received_at);
    expect(Math.abs(receivedAt.getTime() - Date.now())).toBeLessThan(60_000);
    // The next gate closure after receipt, unless the run above closed it early: then the one after that.
    expect(stored).toMatchObject({ record_id: order.record_id, parameter_1: 'abc', status: 'received' });
    expect(stored.auction_id).toBe([auctionAfter(receivedAt), shiftAuction(closedAuction, 1)].sort()[1]);
    expect(rawParameter2(got.text)).toBe('2.1');
    expect(got.headers['cache-control']).toBe('no-store');

    const item = await tableItem('default', order.record_id);
    const ttl = Math.floor(receivedAt.getTime() / 1000) + 24 * 3600;
    expect(item).toMatchObject({ parameter_2: { N: '2.1' }, ttl: { N: String(ttl) }, status: { S: 'received' }, auction_id: { S: stored.auction_id } });
    expect(stored.expires_at).toBe(new Date(ttl * 1000).toISOString());
  });

  it('answers 400 DUPLICATE_RECORD_ID for an id twice in one request, and writes nothing', async () => {
    const id = uniqueId('dup');
    const other = uniqueId('dup-other');

    const answer = await postOrders(system, 'default', [
      { record_id: other, parameter_1: 'a', parameter_2: '1' },
      { record_id: id, parameter_1: 'a', parameter_2: '1' },
      { record_id: id, parameter_1: 'b', parameter_2: '2' },
    ]);

    expect([answer.status, answer.json]).toEqual([400, errorShape('DUPLICATE_RECORD_ID')]);
    for (const recordId of [id, other]) expect((await getOrder(system, 'default', recordId)).status).toBe(404);
  });

  it('answers 400 for a body that breaks the schema, and writes none of its orders', async () => {
    const valid = uniqueId('valid');

    const answer = await postOrders(system, 'default', `[{"record_id":"${valid}","parameter_1":"ok","parameter_2":1},{"record_id":"${uniqueId('bad')}","parameter_1":"no parameter_2"}]`);

    expect([answer.status, answer.json]).toEqual([400, errorShape('INVALID_ORDERS')]);
    expect((await getOrder(system, 'default', valid)).status).toBe(404);
  });

  it('answers 403 without an API key, and stores nothing', async () => {
    const id = uniqueId('nokey');

    const res = await fetch(`${system.endpoints.api}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ record_id: id, parameter_1: 'x', parameter_2: 1 }]),
    });

    expect(res.status).toBe(403);
    expect(await tableItem('default', id)).toBeUndefined();
  });
});

describe('expiry', () => {
  /** An order item written straight into the table, as if it had been stored long ago. */
  async function putExpired(recordId: string, status: string): Promise<void> {
    const past = Math.floor(Date.now() / 1000) - 60;
    await system.dynamodb.send(new PutItemCommand({
      TableName: system.endpoints.tableName,
      Item: {
        customer: { S: 'default' },
        record_id: { S: recordId },
        parameter_1: { S: 'old' },
        parameter_2: { N: '1' },
        ttl: { N: String(past) },
        received_at: { S: new Date((past - 24 * 3600) * 1000).toISOString() },
        status: { S: status },
        auction_id: { S: auctionAfter(new Date((past - 24 * 3600) * 1000)) },
      },
    }));
  }

  it('treats an expired order as gone: GET 404, and its id may be taken again even if it was accepted', async () => {
    const id = uniqueId('expired');
    await putExpired(id, 'accepted');

    expect((await getOrder(system, 'default', id)).status).toBe(404);
    const answer = await postOrders(system, 'default', [{ record_id: id, parameter_1: 'new', parameter_2: '2' }]);

    expect(answer.status).toBe(201);
    expect(await orderOf(system, 'default', id)).toMatchObject({ parameter_1: 'new', status: 'received' });
  });

  it('deletes expired items with the TTL sweep and keeps live ones', async () => {
    const expired = uniqueId('swept');
    const live = uniqueId('live');
    await putExpired(expired, 'received');
    expect((await postOrders(system, 'default', [{ record_id: live, parameter_1: 'live', parameter_2: '1' }])).status).toBe(201);

    await waitFor('the sweep', async () => ((await tableItem('default', expired)) ? undefined : true), 15_000);

    expect(await tableItem('default', live)).toBeDefined();
  });
});

describe('routes', () => {
  it('answers 404 NOT_FOUND in the error shape for a route the template does not declare', async () => {
    for (const path of ['/nowhere', '/orders/a/b', '/v2/orders']) {
      const answer = await rawGet(system, path, { 'x-api-key': system.endpoints.apiKey });
      expect([path, answer.status, answer.json]).toEqual([path, 404, errorShape('NOT_FOUND')]);
    }
  });

  // REST APIs have no 405: API Gateway answers a method a resource does not have like an unknown path.
  it('answers an unknown method on a known route like an unknown route: 404 NOT_FOUND in the error shape', async () => {
    for (const [method, path] of [['DELETE', `/orders/${uniqueId('x')}`], ['PUT', '/orders'], ['GET', '/orders']]) {
      const res = await fetch(`${system.endpoints.api}${path}`, { method, headers: { 'x-api-key': system.endpoints.apiKey } });
      expect([method, path, res.status, await res.json()]).toEqual([method, path, 404, errorShape('NOT_FOUND')]);
    }
  });
});
