import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbOrderStore } from '../adapters/dynamodb-order-store';
import {
  type ErrorDetail,
  OrdersRequestError,
  PayloadTooLargeError,
  StorageUnavailableError,
  UnsupportedMediaTypeError,
} from '../orders/errors';
import { type IngestConfig, ingestOrders } from '../orders/ingest';
import type { OrderStore } from '../orders/order-store';
import { readJsonBody } from '../orders/request-body';
import { DEFAULT_MAX_ORDERS_PER_REQUEST } from '../orders/schema';
import { dynamoDocumentClient } from '../shared/clients/dynamodb';
import { numberEnv, requireEnv } from '../shared/env';
import { logger, metrics, tracer } from '../shared/powertools';

export interface PostOrdersConfig extends IngestConfig {
  readonly maxBodyBytes: number;
}

export interface PostOrdersDeps {
  readonly store: OrderStore;
  readonly now: () => Date;
  readonly config: PostOrdersConfig;
}

export type PostOrdersHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Builds the handler around its dependencies, so tests can pin the clock and the retry timing. */
export function createPostOrdersHandler(deps: PostOrdersDeps): PostOrdersHandler {
  return async (event, context) => {
    logger.addContext(context);
    logger.setCorrelationId(event.requestContext?.requestId);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      const text = readJsonBody(
        { contentType: header(event, 'content-type'), body: event.body, isBase64Encoded: event.isBase64Encoded },
        deps.config.maxBodyBytes,
      );
      const result = await ingestOrders(text, deps.config, deps);
      metrics.addMetric('OrdersAccepted', MetricUnit.Count, result.accepted);
      logger.info('Orders accepted', { accepted: result.accepted });
      return json(201, { accepted: result.accepted });
    } catch (error) {
      return errorResponse(error);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof OrdersRequestError) {
    logger.info('Request rejected', { code: error.code, details: error.details });
    return json(statusOf(error), errorBody(error.code, error.message, error.details));
  }
  if (error instanceof StorageUnavailableError) {
    logger.error('Orders could not be stored within the retry budget', error);
    return json(
      503,
      errorBody('SERVICE_UNAVAILABLE', 'The orders could not be stored right now; retry the whole request later'),
      { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
  // Whatever it was, the client learns nothing about our internals; the log has the details.
  logger.error('Unexpected error while storing orders', error as Error);
  tracer.addErrorAsMetadata(error as Error);
  return json(500, errorBody('INTERNAL_ERROR', 'Internal server error'));
}

function statusOf(error: OrdersRequestError): number {
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof UnsupportedMediaTypeError) return 415;
  return 400; // InvalidRequestError
}

function errorBody(code: string, message: string, details: readonly ErrorDetail[] = []) {
  return { error: { code, message, details } };
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** HTTP header names are case-insensitive; API Gateway passes them as the client sent them. */
function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === name && values && values.length > 0) return values[0];
  }
  return undefined;
}

function integerEnv(name: string, fallback: number, min: number, max: number): number {
  const value = numberEnv(name, fallback, min, max);
  if (!Number.isInteger(value)) throw new Error(`Environment variable ${name} must be an integer, got ${value}`);
  return value;
}

// Read once at cold start: a misconfigured function fails on its first invocation with the variable's name.
const config: PostOrdersConfig & { readonly tableName: string; readonly retryBudgetMs: number } = {
  tableName: requireEnv('ORDERS_TABLE_NAME'),
  maxOrders: integerEnv('MAX_ORDERS_PER_REQUEST', DEFAULT_MAX_ORDERS_PER_REQUEST, 1, 100_000),
  // API Gateway itself caps payloads at 10 MB.
  maxBodyBytes: integerEnv('MAX_BODY_BYTES', 1_048_576, 1, 10 * 1024 * 1024),
  ttlHours: numberEnv('ORDER_TTL_HOURS', 24, 1 / 60, 24 * 366),
  retryBudgetMs: integerEnv('WRITE_RETRY_BUDGET_MS', 2000, 0, 60_000),
};

export const handler: PostOrdersHandler = createPostOrdersHandler({
  store: new DynamoDbOrderStore({
    client: dynamoDocumentClient(),
    tableName: config.tableName,
    retryBudgetMs: config.retryBudgetMs,
  }),
  now: () => new Date(),
  config,
});
