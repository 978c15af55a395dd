// Scenarios: two customers POST the same record_id -> two orders, each GET shows the caller's own, one run submits both to the platform as two orders, stores two S3 objects under each customer's prefix and gives two statuses and two results; a customer's GET of another customer's id is a 404 identical (status, headers, body) to an id that never existed; GET attacks: path traversal (`..%2F`, `%2e%2e`, `../` segments), double encoding, ids over 128 characters, malformed percent-encoding (400 INVALID_RECORD_ID in the error shape), no or a wrong API key (403 INVALID_API_KEY in the error shape, nothing revealed), the `#auction` and `#run` control partitions and auction ids as record_ids.
import {
  type Answer,
  CUSTOMER_KEYS,
  errorShape,
  getOrder,
  listKeys,
  noAlertFor,
  orderOf,
  platformSubmissions,
  postOrders,
  rawGet,
  readText,
  type Run,
  runAuction,
  startSystem,
  type System,
  uniqueId,
} from './lifecycle';

let system: System;

beforeAll(async () => {
  // Every order accepted, so both customers' orders end up in S3.
  system = await startSystem({ functionEnv: { 'auction-platform': { PLATFORM_REJECTED_SHARE: '0' } } });
});

afterAll(async () => {
  await system?.stop();
});

/** What a client can compare of two answers: everything but the request id and the date. */
function comparable(answer: Answer) {
  const { 'x-amzn-requestid': _id, date: _date, ...headers } = answer.headers;
  return { status: answer.status, headers, text: answer.text };
}

describe('two customers with the same record_id', () => {
  // A record_id that needs encoding in a URL and in an S3 key.
  const shared = `${uniqueId('shared')}/same id`;
  const sharedKey = shared.replace('/', '%2F').replace(' ', '%20');
  let auctionId: string;
  let run: Run;

  beforeAll(async () => {
    expect((await postOrders(system, 'alpha', [{ record_id: shared, parameter_1: 'alpha-side', parameter_2: '1.25' }])).status).toBe(201);
    expect((await postOrders(system, 'beta', [{ record_id: shared, parameter_1: 'beta-side', parameter_2: '7.5' }])).status).toBe(201);
    auctionId = (await orderOf(system, 'alpha', shared)).auction_id;
    run = await runAuction(system, { close: 'now' }, 'two-customers');
  });

  it('submits them as two orders, once each, and both are accepted', async () => {
    expect(run.summary).toEqual({ auction_id: auctionId, execution_name: run.name, total: 2, accepted: 2, rejected: 0, failed: 0 });
    const submitted = (await platformSubmissions(system)).filter((s) => s.auction_id === auctionId);
    expect(submitted.map((s) => [s.order_id, s.parameter_2]).sort()).toEqual([[`alpha:${shared}`, '1.25'], [`beta:${shared}`, '7.5']]);
    expect(await noAlertFor(system, run.name)).toBe(true);
  });

  it('gives each customer its own status, result and result_key', async () => {
    const alpha = await orderOf(system, 'alpha', shared);
    const beta = await orderOf(system, 'beta', shared);

    expect(alpha).toMatchObject({ parameter_1: 'alpha-side', status: 'accepted', result: { order_id: `alpha:${shared}`, cleared_volume: 1.25 } });
    expect(beta).toMatchObject({ parameter_1: 'beta-side', status: 'accepted', result: { order_id: `beta:${shared}`, cleared_volume: 7.5 } });
    expect(alpha.result_key).toBe(`results/auction=${auctionId}/customer=alpha/${sharedKey}.json`);
    expect(beta.result_key).toBe(`results/auction=${auctionId}/customer=beta/${sharedKey}.json`);
  });

  it('stores two S3 objects, each under its customer with that customer\'s order', async () => {
    const { keys } = await listKeys(system, system.endpoints.bucketName, `results/auction=${auctionId}/`);

    expect(keys.sort()).toEqual([`results/auction=${auctionId}/customer=alpha/${sharedKey}.json`, `results/auction=${auctionId}/customer=beta/${sharedKey}.json`]);
    const [alpha, beta] = await Promise.all(keys.map(async (key) => JSON.parse(await readText(system, system.endpoints.bucketName, key))));
    expect(alpha).toMatchObject({ customer: 'alpha', record_id: shared, parameter_1: 'alpha-side', result: { order_id: `alpha:${shared}` } });
    expect(beta).toMatchObject({ customer: 'beta', record_id: shared, parameter_1: 'beta-side', result: { order_id: `beta:${shared}` } });
  });

  it('answers another customer\'s id exactly as an id that never existed, both ways', async () => {
    const alphaOnly = uniqueId('alpha-only');
    const betaOnly = uniqueId('beta-only');
    expect((await postOrders(system, 'alpha', [{ record_id: alphaOnly, parameter_1: 'secret', parameter_2: '1' }])).status).toBe(201);
    expect((await postOrders(system, 'beta', [{ record_id: betaOnly, parameter_1: 'secret', parameter_2: '1' }])).status).toBe(201);

    for (const [caller, theirId] of [['beta', alphaOnly], ['alpha', betaOnly]] as const) {
      const theirs = await getOrder(system, caller, theirId);
      const unknown = await getOrder(system, caller, uniqueId('never-existed'));
      expect(theirs.status).toBe(404);
      expect(theirs.json).toEqual(errorShape('ORDER_NOT_FOUND'));
      expect(comparable(theirs)).toEqual(comparable(unknown));
    }
    // The same record_id of the other customer stays apart after the run too.
    expect(comparable(await getOrder(system, 'default', shared))).toEqual(comparable(await getOrder(system, 'default', uniqueId('never-existed'))));
    expect((await getOrder(system, 'alpha', alphaOnly)).status).toBe(200);
    expect((await getOrder(system, 'beta', betaOnly)).status).toBe(200);
  });
});

describe('GET /orders/{record_id} against an attacker', () => {
  const secret = uniqueId('secret');
  const slashed = `${uniqueId('dir')}/file`;
  const longest = `${uniqueId('long')}-`.padEnd(128, 'x');
  const beta = { 'x-api-key': CUSTOMER_KEYS.beta };
  const alpha = { 'x-api-key': CUSTOMER_KEYS.alpha };
  let notFound: Answer;

  beforeAll(async () => {
    const posted = await postOrders(system, 'alpha', [
      { record_id: secret, parameter_1: 'alpha secret', parameter_2: '3' },
      { record_id: slashed, parameter_1: 'slashed', parameter_2: '4' },
      { record_id: longest, parameter_1: 'longest', parameter_2: '5' },
    ]);
    expect(posted.status).toBe(201);
    notFound = await rawGet(system, `/orders/${uniqueId('nothing-here')}`, beta);
  });

  const expectNotFound = (answer: Answer) => expect(comparable(answer)).toEqual(comparable(notFound));

  it('cannot reach another customer\'s order by path traversal', async () => {
    for (const path of [`/orders/..%2F${secret}`, `/orders/..%2F..%2Fcustomer%3Dalpha%2F${secret}`, `/orders/%2e%2e%2F${secret}`, `/orders/%2E%2E%2f${secret}`]) {
      expectNotFound(await rawGet(system, path, beta));
    }
    // Dot segments the gateway resolves end on /orders/<secret> or on no route: never on alpha's order.
    for (const path of [`/orders/../orders/${secret}`, `/orders/%2e%2e/orders/${secret}`, '/orders/%2e%2e', '/orders/..']) {
      const answer = await rawGet(system, path, beta);
      expect([path, answer.status]).toEqual([path, 404]);
      expect(answer.json).toEqual(errorShape());
      expect(answer.text).not.toContain('alpha secret');
    }
  });

  it('decodes the id exactly once: %2F is a slash in the id, %252F a literal "%2F"', async () => {
    const [dir, file] = slashed.split('/');

    expect((await rawGet(system, `/orders/${dir}%2F${file}`, alpha)).json).toMatchObject({ record_id: slashed, parameter_1: 'slashed' });
    expectNotFound(await rawGet(system, `/orders/${dir}%252F${file}`, alpha));
    expectNotFound(await rawGet(system, `/orders/${dir}%252F${file}`, beta));
    expect((await rawGet(system, `/orders/${dir}/${file}`, alpha)).status).toBe(404);
  });

  it('answers 400 INVALID_RECORD_ID in the error shape for ids longer than 128 characters', async () => {
    expect((await rawGet(system, `/orders/${longest}`, alpha)).json).toMatchObject({ record_id: longest });

    for (const id of [`${longest}x`, 'y'.repeat(9000), '%F0%9F%98%80'.repeat(129)]) {
      const answer = await rawGet(system, `/orders/${id}`, alpha);
      expect([answer.status, answer.json]).toEqual([400, errorShape('INVALID_RECORD_ID')]);
    }
  });

  it('answers 400 INVALID_RECORD_ID in the error shape for malformed percent-encoding', async () => {
    for (const id of ['%', '%zz', `${secret}%2`, '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%80abc']) {
      const answer = await rawGet(system, `/orders/${id}`, beta);
      expect([id, answer.status, answer.json]).toEqual([id, 400, errorShape('INVALID_RECORD_ID')]);
      expect((answer.json as { error: { details: unknown[] } }).error.details).toEqual([{ path: '/record_id', message: expect.any(String) }]);
    }
  });

  it('answers 403 without a key or with a wrong key, and reveals nothing', async () => {
    const attempts: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong-key' }, { 'x-api-key': CUSTOMER_KEYS.alpha.toUpperCase() }, { 'x-api-key': `${CUSTOMER_KEYS.alpha}x` }];
    for (const headers of attempts) {
      const answer = await rawGet(system, `/orders/${secret}`, headers);
      expect(answer.status).toBe(403);
      expect(answer.text).not.toContain(secret);
    }
  });

  // API Gateway answers both with the INVALID_API_KEY gateway response the template declares (SPEC 2.1).
  it('answers a missing or wrong key 403 INVALID_API_KEY in the error shape', async () => {
    const attempts: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong-key' }];
    for (const headers of attempts) {
      const answer = await rawGet(system, `/orders/${secret}`, headers);
      expect([answer.status, answer.json]).toEqual([403, errorShape('INVALID_API_KEY')]);
    }
  });

  it('keeps the control partitions out of reach: #auction, #run and auction ids are just ids of the caller', async () => {
    const run = await runAuction(system, { close: 'now' }, 'control-items');
    const closed = run.summary!.auction_id;

    for (const id of ['#auction', '#run', closed, `#auction/${closed}`, run.name, `#run/${run.name}`]) {
      expectNotFound(await rawGet(system, `/orders/${encodeURIComponent(id)}`, alpha));
    }
    // A customer may use such ids for its own orders: they stay in its partition and leave the auction closed.
    const ids = ['#auction', closed];
    expect((await postOrders(system, 'beta', ids.map((id) => ({ record_id: id, parameter_1: 'mine', parameter_2: '1' })))).status).toBe(201);
    for (const id of ids) {
      expect(await orderOf(system, 'beta', id)).toMatchObject({ record_id: id, parameter_1: 'mine', status: 'received', auction_id: expect.not.stringMatching(closed) });
      expectNotFound(await rawGet(system, `/orders/${encodeURIComponent(id)}`, alpha));
    }
  });
});
