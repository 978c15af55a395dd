// Scenarios: exact UpdateItem/GetItem/Query inputs (closeAuction with its run item and onlyIfOpen, auctionOfExecution, ordersOf on the by-auction index, markSubmitted, claimForResult, recordOutcome accepted/rejected/failed, failIfSubmitted, claimAlert/releaseAlert); ConditionalCheckFailedException -> false/undefined; any other error -> OrderStoreUnavailable with the cause; ordersOf follows LastEvaluatedKey; parameter_2 kept as exact text from NumberValue, other numbers plain.
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbAuctionStore } from '../../src/adapters/dynamodb-auction-store';
import { OrderStoreUnavailable } from '../../src/auctions/auction-store';
import type { StoredOrder } from '../../src/orders/order';
import { AUCTION, PREVIOUS_AUCTION, storedOrder } from '../fixtures/auction-store';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLE = 'orders-test';
const NOW = new Date('2026-12-01T21:00:30.000Z');
const NOW_ISO = '2026-12-01T21:00:30.000Z';
const REF = { customer: 'alpha', record_id: 'unique_id_1' };
const RESULT = { order_id: 'alpha:unique_id_1', status: 'accepted' as const, cleared_volume: 4, clearing_price: 81.25 };

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
const throttled = () => new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: { httpStatusCode: 400 } });

/** The item as the exact document client returns it: every number a NumberValue. */
const tableItem = (recordId: string, overrides: Record<string, unknown> = {}) => ({
  customer: 'alpha',
  record_id: recordId,
  parameter_1: 'abc',
  parameter_2: NumberValue.from('12345678901234567890.000000000000000001'),
  ttl: NumberValue.from('1796242200'),
  received_at: '2026-12-01T20:10:00.000Z',
  status: 'submitted',
  auction_id: AUCTION,
  submitted_at: '2026-12-01T21:00:45.000Z',
  submitted_by: 'exec-1',
  ...overrides,
});

function newStore(indexName?: string) {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }), { unmarshallOptions: { wrapNumbers: true } });
  return new DynamoDbAuctionStore(client, TABLE, indexName);
}

async function collect(pages: AsyncIterable<StoredOrder[]>): Promise<StoredOrder[][]> {
  const out: StoredOrder[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

/** The only UpdateItem input the mock received, for an exact comparison. */
const onlyInput = () => {
  const calls = ddb.commandCalls(UpdateCommand);
  expect(calls).toHaveLength(1);
  return calls[0].args[0].input;
};

describe('DynamoDbAuctionStore', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('closes an auction on its control item, keeping the first close, and records the auction of the execution', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});

    // Act
    const closed = await newStore().closeAuction(AUCTION, 'exec-1', NOW);

    // Assert
    expect(closed).toBe(true);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 2);
    expect(ddb).toReceiveNthCommandWith(1, UpdateCommand, { TableName: TABLE, Key: { customer: '#auction', record_id: AUCTION } });
    const [close, run] = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(close).toEqual({
      TableName: TABLE,
      Key: { customer: '#auction', record_id: AUCTION },
      UpdateExpression: 'SET closed_at = if_not_exists(closed_at, :now), closed_by = if_not_exists(closed_by, :run), #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      // 2026-12-01T21:00:30Z + 8 days, in epoch seconds.
      ExpressionAttributeValues: { ':now': NOW_ISO, ':run': 'exec-1', ':ttl': 1_796_850_030 },
    });
    // Not auction_id, so the run item stays out of the auction index.
    expect(run).toEqual({
      TableName: TABLE,
      Key: { customer: '#run', record_id: 'exec-1' },
      UpdateExpression: 'SET run_auction = :a, #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':a': AUCTION, ':ttl': 1_796_850_030 },
    });
  });

  it('closes an auction only if no other execution closed it, when asked to', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});

    // Act
    const closed = await newStore().closeAuction(AUCTION, 'exec-1', NOW, { onlyIfOpen: true });

    // Assert
    expect(closed).toBe(true);
    expect(ddb).toReceiveNthCommandWith(1, UpdateCommand, {
      Key: { customer: '#auction', record_id: AUCTION },
      ConditionExpression: 'attribute_not_exists(closed_at) OR closed_by = :run',
      ExpressionAttributeValues: { ':now': NOW_ISO, ':run': 'exec-1', ':ttl': 1_796_850_030 },
    });
    expect(ddb).toReceiveNthCommandWith(2, UpdateCommand, { Key: { customer: '#run', record_id: 'exec-1' } });
  });

  it('answers false and records no run when another execution closed the auction first', async () => {
    // Arrange
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});

    // Act
    const closed = await newStore().closeAuction(AUCTION, 'exec-1', NOW, { onlyIfOpen: true });

    // Assert
    expect(closed).toBe(false);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it('reads the auction an execution closed with a consistent read', async () => {
    // Arrange
    ddb.on(GetCommand).resolves({ Item: { customer: '#run', record_id: 'exec-1', run_auction: AUCTION, ttl: NumberValue.from('1796850030') } });

    // Act
    const auction = await newStore().auctionOfExecution('exec-1');

    // Assert
    expect(auction).toBe(AUCTION);
    expect(ddb).toReceiveCommandWith(GetCommand, { TableName: TABLE, Key: { customer: '#run', record_id: 'exec-1' }, ConsistentRead: true });
  });

  it('answers no auction for an execution that closed none', async () => {
    ddb.on(GetCommand).resolves({});
    await expect(newStore().auctionOfExecution('exec-9')).resolves.toBeUndefined();
  });

  it('reads the orders of an auction through the by-auction index, page by page', async () => {
    // Arrange
    ddb.on(QueryCommand)
      .resolvesOnce({ Items: [tableItem('a1'), tableItem('a2')], LastEvaluatedKey: { auction_id: AUCTION, record_id: 'a2', customer: 'alpha' } })
      .resolvesOnce({ Items: [tableItem('a3', { status: 'received', submitted_at: undefined, submitted_by: undefined })] });

    // Act
    const pages = await collect(newStore().ordersOf(AUCTION));

    // Assert
    expect(pages.map((page) => page.map((o) => o.record_id))).toEqual([['a1', 'a2'], ['a3']]);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 2);
    expect(ddb).toReceiveNthCommandWith(1, QueryCommand, {
      TableName: TABLE,
      IndexName: 'by-auction',
      KeyConditionExpression: 'auction_id = :a',
      ExpressionAttributeValues: { ':a': AUCTION },
    });
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input.ExclusiveStartKey).toBeUndefined();
    expect(ddb).toReceiveNthCommandWith(2, QueryCommand, {
      IndexName: 'by-auction',
      ExclusiveStartKey: { auction_id: AUCTION, record_id: 'a2', customer: 'alpha' },
    });
  });

  it('keeps parameter_2 as its exact decimal text and turns other numbers into plain numbers', async () => {
    // Arrange
    ddb.on(QueryCommand).resolves({
      Items: [tableItem('a1', { status: 'accepted', result: { ...RESULT, cleared_volume: NumberValue.from('4'), clearing_price: NumberValue.from('81.25') } })],
    });

    // Act
    const [[order]] = await collect(newStore().ordersOf(AUCTION));

    // Assert
    expect(order).toEqual({
      customer: 'alpha',
      record_id: 'a1',
      parameter_1: 'abc',
      parameter_2: '12345678901234567890.000000000000000001',
      ttl: 1796242200,
      received_at: '2026-12-01T20:10:00.000Z',
      status: 'accepted',
      auction_id: AUCTION,
      submitted_at: '2026-12-01T21:00:45.000Z',
      submitted_by: 'exec-1',
      result: RESULT,
    });
  });

  it('keeps parameter_2 as text when the client answers plain numbers', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...tableItem('a1'), parameter_2: 2.1, ttl: 1796242200 }] });
    const [[order]] = await collect(newStore().ordersOf(AUCTION));
    expect(order).toMatchObject({ parameter_2: '2.1', ttl: 1796242200 });
  });

  it('reads another index when told to', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(await collect(newStore('orders-by-auction').ordersOf(AUCTION))).toEqual([[]]);
    expect(ddb).toReceiveCommandWith(QueryCommand, { IndexName: 'orders-by-auction' });
  });

  it('moves a received order into the auction only if it is still the order the index showed', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});
    const straggler = storedOrder('late', { auction_id: PREVIOUS_AUCTION, received_at: '2026-12-01T19:59:59.950Z' });

    // Act
    const marked = await newStore().markSubmitted(straggler, AUCTION, 'exec-1', NOW);

    // Assert
    expect(marked).toBe(true);
    expect(ddb).toReceiveCommandWith(UpdateCommand, { Key: { customer: 'alpha', record_id: 'late' } });
    expect(onlyInput()).toEqual({
      TableName: TABLE,
      Key: { customer: 'alpha', record_id: 'late' },
      UpdateExpression: 'SET #status = :submitted, auction_id = :to, submitted_at = :now, submitted_by = :run',
      ConditionExpression: '#status = :received AND auction_id = :from AND received_at = :receivedAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':submitted': 'submitted',
        ':received': 'received',
        ':to': AUCTION,
        ':from': PREVIOUS_AUCTION,
        ':receivedAt': '2026-12-01T19:59:59.950Z',
        ':now': NOW_ISO,
        ':run': 'exec-1',
      },
    });
  });

  it('claims an order for its result with a no-op write that checks auction and status', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({ Attributes: tableItem('unique_id_1') });

    // Act
    const order = await newStore().claimForResult(REF, AUCTION);

    // Assert
    expect(order).toMatchObject({ record_id: 'unique_id_1', status: 'submitted', parameter_2: '12345678901234567890.000000000000000001', ttl: 1796242200 });
    expect(onlyInput()).toEqual({
      TableName: TABLE,
      Key: REF,
      UpdateExpression: 'SET auction_id = :a',
      ConditionExpression: 'auction_id = :a AND #status <> :received',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':a': AUCTION, ':received': 'received' },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('records an accepted outcome with its result and key, dropping any old reason', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});
    const key = 'results/auction=2026-12-01T2100Z/customer=alpha/unique_id_1.json';

    // Act
    const written = await newStore().recordOutcome(REF, AUCTION, { status: 'accepted', result: RESULT, result_key: key }, NOW);

    // Assert
    expect(written).toBe(true);
    expect(onlyInput()).toEqual({
      TableName: TABLE,
      Key: REF,
      UpdateExpression: 'SET #status = :status, finished_at = :now, #result = :result, result_key = :key REMOVE reason',
      ConditionExpression: 'auction_id = :a AND #status <> :received',
      ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
      ExpressionAttributeValues: { ':a': AUCTION, ':received': 'received', ':status': 'accepted', ':now': NOW_ISO, ':result': RESULT, ':key': key },
    });
  });

  it('records a rejected outcome, dropping any reason and result_key', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});
    const rejected = { order_id: 'alpha:unique_id_1', status: 'rejected' as const, reason: 'price above the limit' };

    // Act
    await newStore().recordOutcome(REF, AUCTION, { status: 'rejected', result: rejected }, NOW);

    // Assert
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #status = :status, finished_at = :now, #result = :result REMOVE reason, result_key',
      ConditionExpression: 'auction_id = :a AND #status <> :received',
      ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
      ExpressionAttributeValues: { ':a': AUCTION, ':received': 'received', ':status': 'rejected', ':now': NOW_ISO, ':result': rejected },
    });
  });

  it('records a failed outcome with its reason, with or without the platform\'s result', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});
    const store = newStore();

    // Act
    await store.recordOutcome(REF, AUCTION, { status: 'failed', reason: 'ResultStoreUnavailable', result: RESULT }, NOW);
    await store.recordOutcome(REF, AUCTION, { status: 'failed', reason: 'InvalidOrderResult' }, NOW);

    // Assert
    const [withResult, without] = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(withResult).toMatchObject({
      UpdateExpression: 'SET #status = :status, finished_at = :now, #result = :result, reason = :reason',
      ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
      ConditionExpression: 'auction_id = :a AND #status = :submitted',
      ExpressionAttributeValues: { ':a': AUCTION, ':submitted': 'submitted', ':status': 'failed', ':now': NOW_ISO, ':result': RESULT, ':reason': 'ResultStoreUnavailable' },
    });
    expect(without).toEqual({
      TableName: TABLE,
      Key: REF,
      UpdateExpression: 'SET #status = :status, finished_at = :now, reason = :reason',
      // A failure only ends a submitted order: it never overwrites the platform's outcome.
      ConditionExpression: 'auction_id = :a AND #status = :submitted',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':a': AUCTION, ':submitted': 'submitted', ':status': 'failed', ':now': NOW_ISO, ':reason': 'InvalidOrderResult' },
    });
  });

  it('fails an order only while it is still submitted in the auction', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});

    // Act
    const failed = await newStore().failIfSubmitted(REF, AUCTION, 'NoResult', NOW);

    // Assert
    expect(failed).toBe(true);
    expect(onlyInput()).toEqual({
      TableName: TABLE,
      Key: REF,
      UpdateExpression: 'SET #status = :failed, reason = :reason, finished_at = :now',
      ConditionExpression: 'auction_id = :a AND #status = :submitted',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':a': AUCTION, ':submitted': 'submitted', ':failed': 'failed', ':reason': 'NoResult', ':now': NOW_ISO },
    });
  });

  it('claims the run\'s alert once per execution on the auction\'s control item, and releases it', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});
    const store = newStore();

    // Act
    const claimed = await store.claimAlert(AUCTION, 'exec-1');
    await store.releaseAlert(AUCTION, 'exec-1');

    // Assert
    expect(claimed).toBe(true);
    expect(ddb).toReceiveNthCommandWith(1, UpdateCommand, {
      TableName: TABLE,
      Key: { customer: '#auction', record_id: AUCTION },
      UpdateExpression: 'ADD alerted_runs :runs',
      ConditionExpression: 'attribute_not_exists(alerted_runs) OR NOT contains(alerted_runs, :run)',
      ExpressionAttributeValues: { ':runs': new Set(['exec-1']), ':run': 'exec-1' },
    });
    expect(ddb.commandCalls(UpdateCommand)[1].args[0].input).toEqual({
      TableName: TABLE,
      Key: { customer: '#auction', record_id: AUCTION },
      UpdateExpression: 'DELETE alerted_runs :runs',
      ExpressionAttributeValues: { ':runs': new Set(['exec-1']) },
    });
  });

  describe('when the condition does not hold', () => {
    beforeEach(() => {
      ddb.on(UpdateCommand).rejects(conditionFailed());
    });

    it.each([
      ['markSubmitted', () => newStore().markSubmitted(storedOrder('a1'), AUCTION, 'exec-1', NOW)],
      ['recordOutcome', () => newStore().recordOutcome(REF, AUCTION, { status: 'rejected', result: { ...RESULT, status: 'rejected' } }, NOW)],
      ['failIfSubmitted', () => newStore().failIfSubmitted(REF, AUCTION, 'NoResult', NOW)],
      ['claimAlert', () => newStore().claimAlert(AUCTION, 'exec-1')],
    ])('%s answers false', async (_method, call) => {
      await expect(call()).resolves.toBe(false);
      expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
    });

    it('claimForResult answers undefined', async () => {
      await expect(newStore().claimForResult(REF, AUCTION)).resolves.toBeUndefined();
    });
  });

  describe('when the table cannot be reached', () => {
    beforeEach(() => {
      ddb.on(UpdateCommand).rejects(throttled());
      ddb.on(QueryCommand).rejects(throttled());
      ddb.on(GetCommand).rejects(throttled());
    });

    it.each([
      ['closeAuction', () => newStore().closeAuction(AUCTION, 'exec-1', NOW)],
      ['closeAuction onlyIfOpen', () => newStore().closeAuction(AUCTION, 'exec-1', NOW, { onlyIfOpen: true })],
      ['auctionOfExecution', () => newStore().auctionOfExecution('exec-1')],
      ['ordersOf', () => collect(newStore().ordersOf(AUCTION))],
      ['markSubmitted', () => newStore().markSubmitted(storedOrder('a1'), AUCTION, 'exec-1', NOW)],
      ['claimForResult', () => newStore().claimForResult(REF, AUCTION)],
      ['recordOutcome', () => newStore().recordOutcome(REF, AUCTION, { status: 'failed', reason: 'NoResult' }, NOW)],
      ['failIfSubmitted', () => newStore().failIfSubmitted(REF, AUCTION, 'NoResult', NOW)],
      ['claimAlert', () => newStore().claimAlert(AUCTION, 'exec-1')],
      ['releaseAlert', () => newStore().releaseAlert(AUCTION, 'exec-1')],
    ])('%s throws OrderStoreUnavailable with the cause', async (_method, call) => {
      // Act
      const error = await call().then(() => undefined, (e: unknown) => e as Error);

      // Assert
      expect(error).toBeInstanceOf(OrderStoreUnavailable);
      expect(error?.name).toBe('OrderStoreUnavailable');
      expect(error?.message).toBe('Orders table orders-test unavailable (ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput)');
      expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
    });
  });
});
