// Scenarios: resolves the run's auction ({"close":"now"} by started_at, {"auction_id"}, the schedule's event, AUCTION_PERIOD_MINUTES) and closes it; close now skips auctions other runs closed early (at most 24), a retry keeps its auction, a named auction closes even if closed; default store sends the control-item UpdateItem to ORDERS_TABLE_NAME; bad task input -> InvalidTaskInput, bad run input -> InvalidRunInput, nothing closed.
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../src/handlers/close-auction';
import { logger, metrics } from '../../src/shared/powertools';
import { InMemoryAuctionStore } from '../fixtures/auction-store';

const ddb = mockClient(DynamoDBDocumentClient);
const context = { functionName: 'close-auction', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const NOW = new Date('2026-12-01T20:15:43.000Z');

const task = (input: unknown, overrides: Record<string, unknown> = {}) => ({
  input,
  execution_name: 'exec-1',
  started_at: '2026-12-01T20:15:42.512Z',
  ...overrides,
});

describe('close-auction handler', () => {
  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    ddb.reset();
    jest.restoreAllMocks();
    delete process.env.AUCTION_PERIOD_MINUTES;
    process.env.ORDERS_TABLE_NAME = 'orders-test';
    process.env.AWS_REGION = 'eu-west-1';
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  afterAll(() => {
    delete process.env.ORDERS_TABLE_NAME;
    delete process.env.AUCTION_PERIOD_MINUTES;
  });

  it.each([
    ['closes the open auction now, decided by the start time', { close: 'now' }, '2026-12-01T2100Z'],
    ['closes the auction the input names', { auction_id: '2026-12-01T1800Z' }, '2026-12-01T1800Z'],
    ['closes the auction the schedule fired for', { 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-12-01T21:00:05Z', detail: {} }, '2026-12-01T2100Z'],
  ])('%s', async (_case, input, auctionId) => {
    // Arrange
    const store = new InMemoryAuctionStore();
    const handler = createHandler({ store: () => store, now: () => NOW });

    // Act
    const run = await handler(task(input), context);

    // Assert
    expect(run).toEqual({ auction_id: auctionId });
    expect([...store.closed]).toEqual([[auctionId, { closed_at: '2026-12-01T20:15:43.000Z', closed_by: 'exec-1' }]]);
  });

  it('takes the first auction still open when other runs closed the next ones early', async () => {
    // Arrange
    const store = new InMemoryAuctionStore();
    await store.closeAuction('2026-12-01T2100Z', 'exec-0', NOW);
    await store.closeAuction('2026-12-01T2200Z', 'exec-0', NOW);
    const handler = createHandler({ store: () => store, now: () => NOW });

    // Act
    const run = await handler(task({ close: 'now' }), context);

    // Assert
    expect(run).toEqual({ auction_id: '2026-12-01T2300Z' });
    expect(store.closed.get('2026-12-01T2100Z')?.closed_by).toBe('exec-0');
    expect(store.closed.get('2026-12-01T2300Z')?.closed_by).toBe('exec-1');
    expect(await store.auctionOfExecution('exec-1')).toBe('2026-12-01T2300Z');
  });

  it('takes the same auction again when the step is retried', async () => {
    // Arrange
    const store = new InMemoryAuctionStore();
    const handler = createHandler({ store: () => store, now: () => NOW });

    // Act
    const first = await handler(task({ close: 'now' }), context);
    const retried = await handler(task({ close: 'now' }), context);

    // Assert
    expect(retried).toEqual(first);
    expect(first).toEqual({ auction_id: '2026-12-01T2100Z' });
  });

  it('skips at most 24 closed auctions, then asks for a named one', async () => {
    // Arrange: 24 auctions from 21:00 on closed by other runs, then 25.
    const hourly = (hours: number) => {
      const iso = new Date(Date.UTC(2026, 11, 1, 21 + hours)).toISOString();
      return `${iso.slice(0, 10)}T${iso.slice(11, 13)}00Z`;
    };
    const closedAhead = async (count: number) => {
      const store = new InMemoryAuctionStore();
      for (let i = 0; i < count; i++) await store.closeAuction(hourly(i), 'exec-0', NOW);
      return store;
    };
    const twentyFour = await closedAhead(24);
    const twentyFive = await closedAhead(25);

    // Act
    const run = await createHandler({ store: () => twentyFour, now: () => NOW })(task({ close: 'now' }), context);
    const refused = createHandler({ store: () => twentyFive, now: () => NOW })(task({ close: 'now' }), context);

    // Assert
    expect(hourly(0)).toBe('2026-12-01T2100Z');
    expect(run).toEqual({ auction_id: '2026-12-02T2100Z' });
    await expect(refused).rejects.toMatchObject({
      name: 'InvalidRunInput',
      message: 'The next 24 auctions are all closed already; name one with {"auction_id": ...}',
    });
    expect(await twentyFive.auctionOfExecution('exec-1')).toBeUndefined();
  });

  it('closes a named or scheduled auction even if another run closed it early', async () => {
    // Arrange
    const store = new InMemoryAuctionStore();
    await store.closeAuction('2026-12-01T2100Z', 'exec-0', NOW);
    const handler = createHandler({ store: () => store, now: () => NOW });

    // Act
    const run = await handler(task({ auction_id: '2026-12-01T2100Z' }), context);

    // Assert
    expect(run).toEqual({ auction_id: '2026-12-01T2100Z' });
    expect(store.closed.get('2026-12-01T2100Z')?.closed_by).toBe('exec-0');
    expect(await store.auctionOfExecution('exec-1')).toBe('2026-12-01T2100Z');
  });

  it('resolves the auction in the configured period', async () => {
    // Arrange
    process.env.AUCTION_PERIOD_MINUTES = '15';
    const store = new InMemoryAuctionStore();
    const handler = createHandler({ store: () => store, now: () => NOW });

    // Act
    const run = await handler(task({ close: 'now' }), context);

    // Assert
    expect(run).toEqual({ auction_id: '2026-12-01T2030Z' });
  });

  it('closes the auction on its control item in the orders table and records the run\'s auction', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});
    const handler = createHandler({ now: () => NOW });

    // Act
    await handler(task({ close: 'now' }), context);

    // Assert
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 2);
    expect(ddb).toReceiveNthCommandWith(1, UpdateCommand, {
      TableName: 'orders-test',
      Key: { customer: '#auction', record_id: '2026-12-01T2100Z' },
      ConditionExpression: 'attribute_not_exists(closed_at) OR closed_by = :run',
      ExpressionAttributeValues: expect.objectContaining({ ':now': '2026-12-01T20:15:43.000Z', ':run': 'exec-1' }),
    });
    expect(ddb).toReceiveNthCommandWith(2, UpdateCommand, {
      TableName: 'orders-test',
      Key: { customer: '#run', record_id: 'exec-1' },
      ExpressionAttributeValues: expect.objectContaining({ ':a': '2026-12-01T2100Z' }),
    });
  });

  it.each([
    ['no execution_name', task({ close: 'now' }, { execution_name: undefined })],
    ['no started_at', task({ close: 'now' }, { started_at: undefined })],
    ['a started_at that is not a time', task({ close: 'now' }, { started_at: 'soon' })],
    ['no event', undefined],
  ])('refuses a task input with %s as InvalidTaskInput', async (_case, event) => {
    // Arrange
    const store = new InMemoryAuctionStore();
    const handler = createHandler({ store: () => store, now: () => NOW });

    // Act / Assert
    await expect(handler(event, context)).rejects.toMatchObject({ name: 'InvalidTaskInput', message: 'Expected {input, execution_name, started_at}' });
    expect(store.closed.size).toBe(0);
  });

  it.each([
    ['an unknown shape', { hello: 'world' }],
    ['an auction_id off the period', { auction_id: '2026-12-01T2130Z' }],
    ['no input', undefined],
  ])('refuses a run input with %s as InvalidRunInput', async (_case, input) => {
    // Arrange
    const store = new InMemoryAuctionStore();
    const handler = createHandler({ store: () => store, now: () => NOW });

    // Act / Assert
    await expect(handler(task(input), context)).rejects.toMatchObject({ name: 'InvalidRunInput' });
    expect(store.closed.size).toBe(0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });
});
