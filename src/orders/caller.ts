import { type CustomerId, isCustomerId } from '../auctions/customer';
import { ForbiddenError } from './errors';

/**
 * The customer a request acts for: the API key that sent it. API Gateway never invokes the function without
 * a key, but an order without an owner must never be stored, so anything else is refused (403).
 */
export function callerCustomer(apiKeyId: unknown): CustomerId {
  if (!isCustomerId(apiKeyId)) throw new ForbiddenError('The request must carry a valid API key');
  return apiKeyId;
}
