import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbOrderStore } from '../adapters/dynamodb-order-store';
import { callerCustomer } from '../orders/caller';
import {
  errorBody,
  NoOpenAuctionError,
  OrdersLockedError,
  OrdersRequestError,
  StorageUnavailableError,
} from '../orders/errors';
import { type IngestConfig, ingestOrders, OpenAuctionMemo } from '../orders/ingest';
import type { OrderStore } from '../orders/order-store';
import { validatorFor } from '../orders/parse-orders';
import { readJsonBody } from '../orders/request-body';
import { DEFAULT_MAX_ORDERS_PER_REQUEST } from '../orders/schema';
import { exactDocumentClient } from '../shared/clients/dynamodb';
import { integerEnv, numberEnv, requireEnv } from '../shared/env';
import { json } from '../shared/http';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';

export interface PostOrdersConfig extends IngestConfig {
  readonly maxBodyBytes: number;
}

export interface PostOrdersDeps {
  readonly store: OrderStore;
  readonly now: () => Date;
  readonly config: PostOrdersConfig;
  /** @default - the control items are read for every request */
  readonly openAuctions?: OpenAuctionMemo;
}

export type PostOrdersHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Builds the handler around its dependencies, so tests can pin the clock, the config and the retry timing. */
export function createPostOrdersHandler(deps: PostOrdersDeps): PostOrdersHandler {
  return async (event, context) => {
    try {
      return await observe('post-orders', context, () => postOrders(event, deps), (error) =>
        logger.error('Unexpected error while storing orders', error),
      );
    } catch {
      // Whatever it was, the client learns nothing about our internals; the log and the trace have it.
      return json(500, errorBody('INTERNAL_ERROR', 'Internal server error'));
    }
  };
}

async function postOrders(event: APIGatewayProxyEvent, deps: PostOrdersDeps): Promise<APIGatewayProxyResult> {
  logger.setCorrelationId(event.requestContext?.requestId);
  try {
    const customer = callerCustomer(event.requestContext?.identity?.apiKeyId);
    logger.appendKeys({ customer });
    const text = readJsonBody(
      { contentType: header(event, 'content-type'), body: event.body, isBase64Encoded: event.isBase64Encoded },
      deps.config.maxBodyBytes,
    );
    const result = await ingestOrders(text, customer, deps.config, deps);
    metrics.addMetric('OrdersAccepted', MetricUnit.Count, result.accepted);
    logger.info('Orders accepted', { accepted: result.accepted, auctionId: result.auctionId });
    return json(201, { accepted: result.accepted });
  } catch (error) {
    return knownErrorResponse(error);
  }
}

/** The typed errors of the domain as HTTP answers; anything else is rethrown for the envelope to record. */
function knownErrorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof OrdersRequestError) {
    if (error instanceof OrdersLockedError) metrics.addMetric('OrdersLocked', MetricUnit.Count, error.locked.length);
    logger.info('Request rejected', { code: error.code, details: error.details });
    return json(error.status, errorBody(error.code, error.message, error.details));
  }
  if (error instanceof StorageUnavailableError || error instanceof NoOpenAuctionError) {
    logger.error('Orders could not be stored within the retry budget', error);
    return json(
      503,
      errorBody('SERVICE_UNAVAILABLE', 'The orders could not be stored right now; retry the whole request later'),
      { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
  throw error;
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

function auctionPeriodEnv(name: string): number {
  const value = integerEnv(name, 60, 1, 1440);
  if (1440 % value !== 0) throw new Error(`Environment variable ${name} must divide a day (1440 minutes), got ${value}`);
  return value;
}

// Read once at cold start: a misconfigured function fails on its first invocation with the variable's name.
const config: PostOrdersConfig & { readonly tableName: string; readonly retryBudgetMs: number } = {
  tableName: requireEnv('ORDERS_TABLE_NAME'),
  maxOrders: integerEnv('MAX_ORDERS_PER_REQUEST', DEFAULT_MAX_ORDERS_PER_REQUEST, 1, 100_000),
  // API Gateway itself caps payloads at 10 MB.
  maxBodyBytes: integerEnv('MAX_BODY_BYTES', 1_048_576, 1, 10 * 1024 * 1024),
  ttlHours: numberEnv('ORDER_TTL_HOURS', 24, 1 / 60, 24 * 366),
  auctionPeriodMinutes: auctionPeriodEnv('AUCTION_PERIOD_MINUTES'),
  retryBudgetMs: integerEnv('WRITE_RETRY_BUDGET_MS', 2000, 0, 60_000),
};

// Compiled during init (Lambda runs it once per execution environment), not on the first request.
validatorFor(config.maxOrders);

export const handler: PostOrdersHandler = createPostOrdersHandler({
  store: new DynamoDbOrderStore({
    client: exactDocumentClient(),
    tableName: config.tableName,
    retryBudgetMs: config.retryBudgetMs,
  }),
  now: () => new Date(),
  config,
  openAuctions: new OpenAuctionMemo(),
});
