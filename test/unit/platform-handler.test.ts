// Scenarios: PUT batch routed and answered 200, GET results routed (first page, later page via ?page=), percent-encoded path parameters decoded, malformed percent-encoding -> 400, base64 body, validation -> 400 {"message"}, unknown auction -> 404, wrong method -> 405 with Allow, unknown resource -> 404, unexpected failure and missing config -> 500 without internals, exact decimals reach the store.
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createHandler } from '../../src/handlers/auction-platform';
import { DEFAULT_PLATFORM_CONFIG } from '../../src/platform/simulated/config';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform';
import { InMemoryPlatformStore } from '../../src/platform/simulated/store';
import { logger, metrics } from '../../src/shared/powertools';

const context = { functionName: 'auction-platform', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const AUCTION = '2026-12-01T2100Z';
const BATCH_RESOURCE = '/auctions/{auction_id}/batches/{batch_id}';
const RESULTS_RESOURCE = '/auctions/{auction_id}/results';
const BODY = '{"orders":[{"order_id":"alpha:r 1","parameter_1":"abc","parameter_2":12345678901234567890}]}';

function event(overrides: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    resource: RESULTS_RESOURCE,
    path: `/auctions/${AUCTION}/results`,
    pathParameters: { auction_id: AUCTION },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: { requestId: 'api-req-1' } as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

const put = (auctionId: string, batchId: string, body: string | null = BODY, extra: Partial<APIGatewayProxyEvent> = {}) =>
  event({ httpMethod: 'PUT', resource: BATCH_RESOURCE, path: `/auctions/${auctionId}/batches/${batchId}`, pathParameters: { auction_id: auctionId, batch_id: batchId }, body, ...extra });

describe('auction-platform handler', () => {
  let store: InMemoryPlatformStore;
  let handler: ReturnType<typeof createHandler>;

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    jest.restoreAllMocks();
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
    store = new InMemoryPlatformStore();
    const config = { ...DEFAULT_PLATFORM_CONFIG, readyAfterPolls: 1, rejectedShare: 0 };
    handler = createHandler({ platform: () => new SimulatedPlatform(store, config) });
  });

  it('stores a PUT batch and answers 200 with the count, decimals exact in storage', async () => {
    // Act
    const response = await handler(put(AUCTION, 'batch-1'), context);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual({ auction_id: AUCTION, batch_id: 'batch-1', received: 1 });
    expect(store.documents.get(`auctions/${AUCTION}/batches/batch-1.json`)).toContain('"parameter_2":12345678901234567890');
  });

  it('decodes percent-encoded path parameters', async () => {
    // Act
    const response = await handler(put('2026-12-01T2100Z', 'batch%2D1%2E0'), context);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ batch_id: 'batch-1.0' });
    expect(store.documents.has(`auctions/${AUCTION}/batches/batch-1.0.json`)).toBe(true);
  });

  it('answers 400 for a malformed percent-encoding', async () => {
    // Act
    const response = await handler(put(AUCTION, 'batch%E0%A4%A'), context);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ message: 'Path parameter batch_id is not valid percent-encoding' });
  });

  it('answers 400 for a batch id that decodes to a forbidden character', async () => {
    // Act
    const response = await handler(put(AUCTION, 'a%2Fb'), context);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/"a\/b" is not a batch id/);
  });

  it('reads a base64-encoded body', async () => {
    // Act
    const response = await handler(put(AUCTION, 'b', Buffer.from(BODY).toString('base64'), { isBase64Encoded: true }), context);

    // Assert
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['no body', null, /not valid JSON/],
    ['a body without orders', '{"orders":[]}', /1 to 1000 orders/],
  ])('answers 400 {"message"} for %s', async (_label, body, message) => {
    // Act
    const response = await handler(put(AUCTION, 'b', body), context);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(Object.keys(JSON.parse(response.body))).toEqual(['message']);
    expect(JSON.parse(response.body).message).toMatch(message);
  });

  it('answers results: false first, then the results, then a later page by token', async () => {
    // Arrange
    await handler(put(AUCTION, 'b1'), context);
    await handler(put(AUCTION, 'b2', '{"orders":[{"order_id":"beta:x","parameter_1":"p","parameter_2":3}]}'), context);

    // Act
    const notReady = await handler(event({}), context);
    const page1 = await handler(event({}), context);
    const token = JSON.parse(page1.body).next_page as string;
    const page2 = await handler(event({ queryStringParameters: { page: token } }), context);

    // Assert
    expect([notReady.statusCode, page1.statusCode, page2.statusCode]).toEqual([200, 200, 200]);
    expect(JSON.parse(notReady.body)).toEqual({ results: false });
    expect(JSON.parse(page1.body)).toMatchObject({ results: true, orders: [{ order_id: 'alpha:r 1', status: 'accepted' }] });
    expect(JSON.parse(page2.body)).toMatchObject({ results: true, orders: [{ order_id: 'beta:x', cleared_volume: 3 }], next_page: null });
  });

  it('answers 404 for an auction without orders', async () => {
    // Act
    const response = await handler(event({ pathParameters: { auction_id: '2026-12-01T2200Z' } }), context);

    // Assert
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ message: 'No orders were submitted for auction 2026-12-01T2200Z' });
  });

  it('answers 400 for an unknown page token', async () => {
    // Arrange
    await handler(put(AUCTION, 'b1'), context);

    // Act
    const response = await handler(event({ queryStringParameters: { page: 'bogus' } }), context);

    // Assert
    expect(response.statusCode).toBe(400);
  });

  it.each([
    ['POST', BATCH_RESOURCE, 'PUT'],
    ['GET', BATCH_RESOURCE, 'PUT'],
    ['PUT', RESULTS_RESOURCE, 'GET'],
    ['DELETE', RESULTS_RESOURCE, 'GET'],
  ])('answers 405 for %s on %s, allowing %s', async (httpMethod, resource, allowed) => {
    // Act
    const response = await handler(event({ httpMethod, resource, pathParameters: { auction_id: AUCTION, batch_id: 'b' } }), context);

    // Assert
    expect(response.statusCode).toBe(405);
    expect(response.headers).toMatchObject({ Allow: allowed });
    expect(JSON.parse(response.body)).toEqual({ message: `Method ${httpMethod} is not allowed here; use ${allowed}` });
    expect(store.documents.size).toBe(0);
  });

  it('answers 404 for a resource it does not serve', async () => {
    // Act
    const response = await handler(event({ resource: '/{proxy+}', path: '/admin' }), context);

    // Assert
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ message: 'No route for GET /{proxy+}' });
  });

  it('answers 500 without internals when the store fails', async () => {
    // Arrange
    jest.spyOn(store, 'putJson').mockRejectedValue(new Error('Could not write s3://secret-bucket/key (AccessDenied)'));

    // Act
    const response = await handler(put(AUCTION, 'b'), context);

    // Assert
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ message: 'Internal server error' });
  });

  it('answers 500 when its configuration is missing, naming nothing', async () => {
    // Arrange
    delete process.env.PLATFORM_BUCKET_NAME;
    const configured = createHandler();

    // Act
    const response = await configured(put(AUCTION, 'b'), context);

    // Assert
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('PLATFORM_BUCKET_NAME');
  });
});
