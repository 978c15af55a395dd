import { RECORD_ID_MAX_LENGTH } from './schema';

/**
 * What API Gateway itself answers, before or instead of our handlers, in the API's one error shape (SPEC 2.1).
 * One entry per gateway response type API Gateway (REST) can produce; the infra turns each into an
 * `AWS::ApiGateway::GatewayResponse`, the local gateway answers from those template resources, and the
 * OpenAPI document lists them. Messages are static: gateway response templates are not processed by VTL,
 * so they can only substitute `$context` values, never escape text into JSON.
 */
export interface GatewayError {
  /** The API Gateway response type (supported-gateway-response-types). */
  readonly type: string;
  /** HTTP status we answer with; for the two defaults, undefined keeps each type's own status. */
  readonly status?: number;
  /** Stable `error.code` clients can switch on. */
  readonly code: string;
  readonly message: string;
  /** Seconds a client should wait, sent as `Retry-After` (429 and 503-like answers). */
  readonly retryAfterSeconds?: number;
}

/** Text of the 400 the gateway's request validator answers: it cannot say which field failed. */
export function invalidBodyMessage(maxOrdersPerRequest: number): string {
  return `The body does not match the orders schema: a JSON array of 1 to ${maxOrdersPerRequest} orders, `
    + `each exactly {"record_id": string of 1 to ${RECORD_ID_MAX_LENGTH} characters, "parameter_1": string, "parameter_2": number}`;
}

/** Every gateway response type, in API Gateway's documented order. `maxOrdersPerRequest` shapes one message. */
export function gatewayErrors(maxOrdersPerRequest: number): readonly GatewayError[] {
  return [
    { type: 'ACCESS_DENIED', status: 403, code: 'ACCESS_DENIED', message: 'Access to this resource is denied' },
    { type: 'API_CONFIGURATION_ERROR', status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' },
    { type: 'AUTHORIZER_CONFIGURATION_ERROR', status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' },
    { type: 'AUTHORIZER_FAILURE', status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' },
    { type: 'BAD_REQUEST_PARAMETERS', status: 400, code: 'INVALID_PARAMETERS', message: 'A required request parameter is missing or invalid' },
    { type: 'BAD_REQUEST_BODY', status: 400, code: 'INVALID_ORDERS', message: invalidBodyMessage(maxOrdersPerRequest) },
    { type: 'DEFAULT_4XX', code: 'BAD_REQUEST', message: 'The request was refused' },
    // Also what a Lambda proxy that throws, times out in Lambda or answers a malformed response gets (502).
    { type: 'DEFAULT_5XX', code: 'INTERNAL_ERROR', message: 'Internal server error' },
    { type: 'EXPIRED_TOKEN', status: 403, code: 'EXPIRED_TOKEN', message: 'The security token has expired' },
    // Lambda refused the invocation (throttled, or an event over its 6 MB payload limit); AWS's own answer is a 500.
    { type: 'INTEGRATION_FAILURE', status: 502, code: 'INTEGRATION_FAILURE', message: 'The service could not take the request; retry later (a request body over 6 MB never fits)', retryAfterSeconds: 1 },
    { type: 'INTEGRATION_TIMEOUT', status: 504, code: 'TIMEOUT', message: 'The service did not answer in time; the request is safe to repeat', retryAfterSeconds: 1 },
    // A missing key, an unknown or disabled one, and one whose usage plans do not include this stage.
    { type: 'INVALID_API_KEY', status: 403, code: 'INVALID_API_KEY', message: 'Missing or unknown API key: send your key in the x-api-key header' },
    { type: 'INVALID_SIGNATURE', status: 403, code: 'INVALID_SIGNATURE', message: 'The request signature is invalid' },
    // API Gateway answers an unknown path, and a method a path does not have, with this type (403 by default):
    // REST APIs have no 405 type.
    { type: 'MISSING_AUTHENTICATION_TOKEN', status: 404, code: 'NOT_FOUND', message: 'No such route: the API has POST /orders and GET /orders/{record_id}' },
    { type: 'QUOTA_EXCEEDED', status: 429, code: 'QUOTA_EXCEEDED', message: 'The usage plan quota of this API key is used up', retryAfterSeconds: 3600 },
    { type: 'REQUEST_TOO_LARGE', status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The request is larger than API Gateway accepts: at most 10 MB of body and 10240 bytes of request line and headers' },
    { type: 'RESOURCE_NOT_FOUND', status: 404, code: 'NOT_FOUND', message: 'No such resource' },
    { type: 'THROTTLED', status: 429, code: 'THROTTLED', message: 'Too many requests: slow down and retry after Retry-After seconds', retryAfterSeconds: 1 },
    { type: 'UNAUTHORIZED', status: 401, code: 'UNAUTHORIZED', message: 'The request is not authorized' },
    { type: 'UNSUPPORTED_MEDIA_TYPE', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' },
    { type: 'WAF_FILTERED', status: 403, code: 'ACCESS_DENIED', message: 'The request was blocked by the firewall' },
  ];
}
