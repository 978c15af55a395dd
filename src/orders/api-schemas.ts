import {
  type BadRequestCode,
  ForbiddenError,
  InvalidRecordIdError,
  OrderNotFoundError,
  OrdersLockedError,
  type OrdersRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors';
import type { OrderStatus } from './order';
import { DEFAULT_MAX_ORDERS_PER_REQUEST, RECORD_ID_MAX_LENGTH } from './schema';

// The answers of the orders API as JSON Schema, the response-side twin of schema.ts. They use only keywords that
// mean the same in OpenAPI 3.0 Schema Objects and JSON Schema draft-07, so the OpenAPI document (scripts/openapi.ts)
// embeds them unchanged and tests validate real answers with Ajv against the very same objects.

/** Stable error codes are upper snake case, so clients can switch on them. */
export const ERROR_CODE_PATTERN = '^[A-Z][A-Z0-9_]*$';
/** An auction id names its gate closure, e.g. `2026-12-01T2100Z` (src/auctions/auction-id.ts). */
export const AUCTION_ID_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{4}Z$';

/** `{"error": {"code", "message", "details": [{"path", "message"}]}}`: every error answer (SPEC 2.1). */
export const errorResponseSchema = {
  title: 'Error',
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', pattern: ERROR_CODE_PATTERN, description: 'Stable code to switch on; the message may change.' },
        message: { type: 'string', description: 'What went wrong and how to fix it, for a person.' },
        details: {
          type: 'array',
          description: 'One entry per problem found (at most 20); empty when the answer has nothing to point at.',
          items: {
            type: 'object',
            required: ['path', 'message'],
            additionalProperties: false,
            properties: {
              path: { type: 'string', description: 'JSON Pointer into the request body ("" is the body itself), or /record_id for the path parameter.' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

/** The 201 body of POST /orders. */
export function acceptedResponseSchema(maxOrders: number = DEFAULT_MAX_ORDERS_PER_REQUEST) {
  return {
    title: 'Accepted',
    type: 'object',
    required: ['accepted'],
    additionalProperties: false,
    properties: {
      accepted: { type: 'integer', minimum: 1, maximum: maxOrders, description: 'How many orders were stored: all of the request.' },
    },
  } as const;
}

// A Record keyed by the union, so a new status fails to compile until it is documented here.
const STATUS_MEANINGS: Record<OrderStatus, string> = {
  received: 'stored; may still be replaced by sending the same record_id again',
  submitted: 'handed to the auction platform; binding',
  accepted: 'the platform accepted it; the result is stored under result_key',
  rejected: 'the platform rejected it; result says why',
  failed: 'no usable result; reason says why (e.g. NoResult)',
};
export const ORDER_STATUSES = Object.keys(STATUS_MEANINGS) as OrderStatus[];

const timestamp = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;

/** The 200 body of GET /orders/{record_id}: what orderJson() (get-order.ts) writes, nothing more. */
export const orderViewSchema = {
  title: 'Order',
  type: 'object',
  required: ['record_id', 'parameter_1', 'parameter_2', 'status', 'auction_id', 'received_at', 'expires_at'],
  additionalProperties: false,
  properties: {
    record_id: { type: 'string', minLength: 1, maxLength: RECORD_ID_MAX_LENGTH },
    parameter_1: { type: 'string' },
    parameter_2: { type: 'number', description: 'Exactly the digits that were sent (read it with a decimal-preserving JSON parser).' },
    status: {
      type: 'string',
      enum: ORDER_STATUSES,
      description: ORDER_STATUSES.map((status) => `${status}: ${STATUS_MEANINGS[status]}`).join('; '),
    },
    auction_id: { type: 'string', pattern: AUCTION_ID_PATTERN, description: 'The auction the order goes (or went) to, named by its gate closure (UTC).' },
    received_at: timestamp('When the request that stored this version of the order was received.'),
    expires_at: timestamp('When the order is deleted (received_at + the order TTL).'),
    submitted_at: timestamp('When an auction run handed it to the platform.'),
    result: {
      type: 'object',
      required: ['order_id', 'status'],
      description: 'What the auction platform answered for this order, as it answered it.',
      properties: {
        order_id: { type: 'string', description: 'The id the platform knows the order by.' },
        status: { type: 'string', enum: ['accepted', 'rejected'] },
        cleared_volume: { type: 'number', description: 'MWh cleared for an accepted order.' },
        clearing_price: { type: 'number', description: 'EUR/MWh of the auction\'s clearing.' },
        reason: { type: 'string', description: 'Why the platform rejected the order.' },
      },
    },
    result_key: { type: 'string', description: 'S3 key of the stored result of an accepted order.' },
    reason: { type: 'string', description: 'Why the order failed.' },
  },
} as const;

/** One error answer a function itself writes. */
export interface FunctionError {
  readonly status: number;
  readonly code: string;
  /** When it happens, for the document. */
  readonly when: string;
  /** The answer carries `Retry-After` (seconds). */
  readonly retryAfter?: boolean;
}

// Every InvalidRequestError code, keyed by the union so none can be forgotten.
const BAD_REQUEST: Record<BadRequestCode, string> = {
  EMPTY_BODY: 'the body is empty',
  INVALID_JSON: 'the body is not JSON (or not UTF-8, or starts with a byte order mark)',
  INVALID_ORDERS: 'an order breaks the schema or cannot be stored (a number that is not finite or too precise, an unpaired surrogate, over 400 KB)',
  TOO_MANY_ORDERS: 'more orders than the limit',
  DUPLICATE_RECORD_ID: 'two orders of the request have the same record_id',
};

const from = (error: OrdersRequestError, when: string): FunctionError => ({ status: error.status, code: error.code, when });

/** Written by both functions outside their typed errors (src/handlers): never with internals. */
const INTERNAL_ERROR: FunctionError = { status: 500, code: 'INTERNAL_ERROR', when: 'an unexpected failure; nothing about it is disclosed' };
const serviceUnavailable = (when: string): FunctionError => ({ status: 503, code: 'SERVICE_UNAVAILABLE', when, retryAfter: true });
const noCustomer = from(new ForbiddenError(''), 'the request reached the function without the calling API key\'s id');

/** What post-orders answers besides 201 (src/handlers/post-orders.ts). */
export const postOrdersErrors: readonly FunctionError[] = [
  ...Object.entries(BAD_REQUEST).map(([code, when]) => ({ status: 400, code, when })),
  noCustomer,
  from(new OrdersLockedError([]), 'the request names orders an auction run has taken; nothing was stored; details list them'),
  from(new PayloadTooLargeError(''), 'the body is larger than the configured limit'),
  from(new UnsupportedMediaTypeError(''), 'Content-Type is missing or not JSON, or a charset other than UTF-8'),
  INTERNAL_ERROR,
  serviceUnavailable('storage stayed unavailable within the retry budget, or every auction within reach is closed; repeating the whole request is safe'),
];

/** What get-order answers besides 200 (src/handlers/get-order.ts). */
export const getOrderErrors: readonly FunctionError[] = [
  from(new InvalidRecordIdError(''), 'the record_id is not valid percent-encoding or not 1 to 128 characters once decoded'),
  noCustomer,
  from(new OrderNotFoundError(), 'no order of this customer has the id (also another customer\'s id, and an expired order)'),
  INTERNAL_ERROR,
  serviceUnavailable('storage stayed unavailable within the retry budget'),
];
