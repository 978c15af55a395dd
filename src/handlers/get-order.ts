import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbOrderStore } from '../adapters/dynamodb-order-store';
import { callerCustomer } from '../orders/caller';
import {
  errorBody,
  OrdersRequestError,
  StorageUnavailableError,
} from '../orders/errors';
import { findOrder, type GetOrderDeps, orderJson, parseRecordIdParameter } from '../orders/get-order';
import { exactDocumentClient } from '../shared/clients/dynamodb';
import { requireEnv } from '../shared/env';
import { json } from '../shared/http';
import { observe } from '../shared/observe';
import { logger } from '../shared/powertools';

export type GetOrderHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A read is cheap to repeat, so it gives up sooner than a write: the client can simply ask again. */
const READ_RETRY_BUDGET_MS = 1000;

/** `GET /orders/{record_id}`: one customer's order with its lifecycle. Tests pass the store and clock in. */
export function createGetOrderHandler(deps: GetOrderDeps): GetOrderHandler {
  return async (event, context) => {
    try {
      return await observe('get-order', context, () => getOrder(event, deps), (error) =>
        logger.error('Unexpected error while reading an order', error),
      );
    } catch {
      return json(500, errorBody('INTERNAL_ERROR', 'Internal server error'));
    }
  };
}

async function getOrder(event: APIGatewayProxyEvent, deps: GetOrderDeps): Promise<APIGatewayProxyResult> {
  logger.setCorrelationId(event.requestContext?.requestId);
  try {
    const customer = callerCustomer(event.requestContext?.identity?.apiKeyId);
    logger.appendKeys({ customer });
    const recordId = parseRecordIdParameter(event.pathParameters?.record_id);
    const order = await findOrder(customer, recordId, deps);
    logger.info('Order read', { status: order.status, auctionId: order.auction_id });
    return json(200, orderJson(order));
  } catch (error) {
    if (error instanceof OrdersRequestError) {
      logger.info('Request rejected', { code: error.code });
      return json(error.status, errorBody(error.code, error.message, error.details));
    }
    if (error instanceof StorageUnavailableError) {
      logger.error('The order could not be read within the retry budget', error);
      return json(503, errorBody('SERVICE_UNAVAILABLE', 'The order could not be read right now; retry later'), {
        'Retry-After': String(error.retryAfterSeconds),
      });
    }
    throw error;
  }
}


export const handler: GetOrderHandler = createGetOrderHandler({
  store: new DynamoDbOrderStore({
    client: exactDocumentClient(),
    tableName: requireEnv('ORDERS_TABLE_NAME'),
    retryBudgetMs: READ_RETRY_BUDGET_MS,
  }),
  now: () => new Date(),
});
