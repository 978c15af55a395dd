import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { S3PlatformStore } from '../adapters/s3-platform-store';
import { simulatedPlatformSettingsFromEnv } from '../platform/simulated/config';
import { PlatformApiError } from '../platform/simulated/errors';
import { SimulatedPlatform } from '../platform/simulated/simulated-platform';
import { observe } from '../shared/observe';
import { logger, metrics, tracer } from '../shared/powertools';

export interface AuctionPlatformDeps {
  /** Builds the platform per invocation; defaults to the S3-backed one configured from the environment. */
  readonly platform?: () => SimulatedPlatform;
}

export type AuctionPlatformHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const BATCH_RESOURCE = '/auctions/{auction_id}/batches/{batch_id}';
const RESULTS_RESOURCE = '/auctions/{auction_id}/results';

function defaultPlatform(): SimulatedPlatform {
  const settings = simulatedPlatformSettingsFromEnv();
  return new SimulatedPlatform(new S3PlatformStore(settings.bucketName), settings);
}

/** The simulated auction platform's REST API (SPEC 2.9), reached over HTTP exactly like the real one. */
export function createHandler(deps: AuctionPlatformDeps = {}): AuctionPlatformHandler {
  const platform = deps.platform ?? defaultPlatform;
  return (event, context) =>
    observe('auction-platform', context, async () => {
      logger.setCorrelationId(event.requestContext?.requestId);
      try {
        return await route(event, platform);
      } catch (error) {
        return errorResponse(error);
      }
    });
}

async function route(event: APIGatewayProxyEvent, platform: () => SimulatedPlatform): Promise<APIGatewayProxyResult> {
  const method = event.httpMethod;
  if (event.resource === BATCH_RESOURCE) {
    if (method !== 'PUT') return methodNotAllowed(method, 'PUT');
    const auctionId = pathParameter(event, 'auction_id');
    const batchId = pathParameter(event, 'batch_id');
    const answer = await platform().submitBatch(auctionId, batchId, bodyText(event));
    metrics.addMetric('PlatformBatchesReceived', MetricUnit.Count, 1);
    metrics.addMetric('PlatformOrdersReceived', MetricUnit.Count, answer.received);
    logger.info('Batch received', { ...answer });
    return json(200, answer);
  }
  if (event.resource === RESULTS_RESOURCE) {
    if (method !== 'GET') return methodNotAllowed(method, 'GET');
    const auctionId = pathParameter(event, 'auction_id');
    const page = event.queryStringParameters?.page ?? undefined;
    const answer = await platform().results(auctionId, page);
    const view = answer as { results?: unknown; orders?: unknown; next_page?: unknown };
    const orders = Array.isArray(view.orders) ? view.orders.length : undefined;
    metrics.addMetric('PlatformResultsPolled', MetricUnit.Count, 1);
    logger.info('Results asked for', { auctionId, page, results: view.results, orders, nextPage: view.next_page });
    return json(200, answer);
  }
  return json(404, { message: `No route for ${method} ${event.resource ?? event.path}` });
}

/** REST APIs hand path parameters over still percent-encoded. */
function pathParameter(event: APIGatewayProxyEvent, name: string): string {
  const raw = event.pathParameters?.[name];
  if (raw === undefined || raw === null || raw === '') throw new PlatformApiError(400, `Missing path parameter ${name}`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new PlatformApiError(400, `Path parameter ${name} is not valid percent-encoding`);
  }
}

function bodyText(event: APIGatewayProxyEvent): string {
  if (event.body === null || event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof PlatformApiError) {
    logger.info('Request refused', { statusCode: error.statusCode, message: error.message });
    return json(error.statusCode, { message: error.message });
  }
  // The caller learns nothing of our internals; the log and the trace have the details.
  logger.error('auction-platform failed', error as Error);
  tracer.addErrorAsMetadata(error as Error);
  return json(500, { message: 'Internal server error' });
}

function methodNotAllowed(method: string, allowed: string): APIGatewayProxyResult {
  return json(405, { message: `Method ${method} is not allowed here; use ${allowed}` }, { Allow: allowed });
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export const handler = createHandler();
