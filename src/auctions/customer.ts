/**
 * A customer is the API key that sent the request: in AWS its `requestContext.identity.apiKeyId`, locally
 * the name given in LOCAL_API_KEYS. The id appears in table keys, S3 keys and platform order ids, so it is
 * kept to a charset that needs no encoding anywhere and cannot contain the `:` of an order id.
 */
export type CustomerId = string;

const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isCustomerId(value: unknown): value is CustomerId {
  return typeof value === 'string' && CUSTOMER_ID.test(value);
}

/**
 * The id an order carries to the auction platform: `<customer>:<record_id>`. It maps back to exactly one
 * customer's record_id because a customer id never contains `:`, whatever the record_id contains.
 */
export function platformOrderId(customer: CustomerId, recordId: string): string {
  return `${customer}:${recordId}`;
}

/** Splits a platform order id; undefined when it cannot be one of ours. */
export function parsePlatformOrderId(orderId: unknown): { customer: CustomerId; recordId: string } | undefined {
  if (typeof orderId !== 'string') return undefined;
  const colon = orderId.indexOf(':');
  if (colon < 0) return undefined;
  const customer = orderId.slice(0, colon);
  const recordId = orderId.slice(colon + 1);
  return isCustomerId(customer) && recordId.length > 0 ? { customer, recordId } : undefined;
}
