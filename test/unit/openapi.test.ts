// Scenarios: the committed openapi.json is exactly what `npm run openapi` generates, and `--check` fails on a stale file; it passes @readme/openapi-parser (OpenAPI 3.0 schema and spec rules) with no warning, while a broken copy does not; it embeds the code's own schema objects and the configured limits; every gateway response type appears with its status, code and Retry-After, every function error with its status and code; the answers the code builds (orderJson, errorBody, 201) validate against the documented schemas and wrong ones do not.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileErrors, validate } from '@readme/openapi-parser';
import { stages } from '../../infra/config';
import { buildOpenApiDocument, OPENAPI_FILE, renderOpenApiDocument } from '../../scripts/openapi/document';
import { acceptedResponseSchema, errorResponseSchema, getOrderErrors, orderViewSchema, postOrdersErrors } from '../../src/orders/api-schemas';
import { auctionIdOf } from '../../src/auctions/auction-id';
import { errorBody, OrdersLockedError } from '../../src/orders/errors';
import { gatewayErrors } from '../../src/orders/gateway-errors';
import { orderJson } from '../../src/orders/get-order';
import type { StoredOrder } from '../../src/orders/order';
import { buildOrdersRequestSchema } from '../../src/orders/schema';
import {
  committedDocument,
  dereferencedDocument,
  documentedCodes,
  documentedResponse,
  type DocumentedResponse,
  type OpenApiDocument,
  schemaErrors,
  validatorFor,
} from '../fixtures/openapi';

const ROOT = join(__dirname, '..', '..');
const OPERATIONS = [['POST', '/orders'], ['GET', '/orders/{record_id}']] as const;
const { maxOrdersPerRequest, maxBodyBytes } = stages.Prod.api;

let doc: OpenApiDocument;

beforeAll(async () => {
  doc = await dereferencedDocument();
});

/** Every documented response of the operations, with where it is. */
function allResponses(d: OpenApiDocument): Array<{ where: string; status: string; response: DocumentedResponse }> {
  return OPERATIONS.flatMap(([method, path]) =>
    Object.entries(d.paths[path][method.toLowerCase()].responses).map(([status, response]) => ({ where: `${method} ${path}`, status, response })));
}

describe('the committed document', () => {
  it('is exactly what `npm run openapi` generates', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApiDocument());
  });

  it('`npm run openapi -- --check` passes on a fresh file and fails on a stale one, naming the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-check-'));
    try {
      const file = join(dir, 'openapi.json');
      const check = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/openapi.ts', '--check', '--out', file], { cwd: ROOT, encoding: 'utf8' });
      writeFileSync(file, renderOpenApiDocument());
      expect(check().status).toBe(0);

      writeFileSync(file, renderOpenApiDocument().replace('"maxItems": 1000', '"maxItems": 999'));
      const stale = check();
      expect({ status: stale.status, stderr: stale.stderr }).toEqual({ status: 1, stderr: expect.stringContaining('Run `npm run openapi`') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes the OpenAPI 3.0 validator of @readme/openapi-parser without errors or warnings', async () => {
    const result = await validate(committedDocument() as never);

    expect(result.valid ? result : compileErrors(result)).toEqual({ valid: true, warnings: [], specification: 'OpenAPI' });
  });

  it('the validator rejects a broken copy (a response without description, an undeclared path parameter)', async () => {
    const broken = committedDocument() as unknown as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }>; parameters?: unknown[] }>> };
    delete broken.paths['/orders'].post.responses['201'].description;
    broken.paths['/orders/{record_id}'].get.parameters = [];

    const result = await validate(broken as never);

    expect(result.valid).toBe(false);
  });
});

describe('made from the code', () => {
  it('embeds the request model, the response schemas and the error shape the code uses', () => {
    const { schemas } = committedDocument().components;
    const { $schema: _draft04, ...model } = buildOrdersRequestSchema(maxOrdersPerRequest);

    expect(schemas.OrdersRequest).toEqual(model);
    expect(schemas.Accepted).toEqual(acceptedResponseSchema(maxOrdersPerRequest));
    expect(schemas.Order).toEqual(orderViewSchema);
    expect(schemas.Error).toEqual(errorResponseSchema);
  });

  it('states the configured limits: orders per request and body bytes from infra/config.ts', () => {
    const post = committedDocument().paths['/orders'].post as unknown as { description: string };

    expect((committedDocument().components.schemas.OrdersRequest as { maxItems: number }).maxItems).toBe(maxOrdersPerRequest);
    expect(post.description).toContain(`at most ${maxBodyBytes} bytes`);
    expect(buildOpenApiDocument({ maxOrdersPerRequest: 7, maxBodyBytes: 99 }).components.schemas.OrdersRequest.maxItems).toBe(7);
  });

  it('documents every gateway response type with its status, code and Retry-After', () => {
    const gateway = gatewayErrors(maxOrdersPerRequest);
    const seen = new Set<string>();
    const responses = [...allResponses(doc), { where: 'no route', status: 'NoSuchRoute', response: doc.components.responses.NoSuchRoute }];
    for (const { where, status, response } of responses) {
      for (const g of gateway.filter((entry) => response.description.includes(`(API Gateway ${entry.type})`))) {
        seen.add(g.type);
        const expectedStatus = g.type === 'MISSING_AUTHENTICATION_TOKEN' ? 'NoSuchRoute' : (g.status === undefined ? status : String(g.status));
        const retryAfter = response.headers?.['Retry-After'];
        expect({ where, type: g.type, status, code: documentedCodes(response).includes(g.code) }).toEqual({ where, type: g.type, status: expectedStatus, code: true });
        // A type that sends Retry-After has it documented; one that does not never makes it required.
        if (g.retryAfterSeconds !== undefined) expect({ where, type: g.type, retryAfter: retryAfter !== undefined }).toEqual({ where, type: g.type, retryAfter: true });
        else expect({ where, type: g.type, required: retryAfter?.required === true }).toEqual({ where, type: g.type, required: false });
      }
    }
    expect([...seen].sort()).toEqual(gateway.map((g) => g.type).sort());
  });

  it('documents every error the functions write, with its status, code and Retry-After', () => {
    for (const [[method, path], errors] of [[OPERATIONS[0], postOrdersErrors], [OPERATIONS[1], getOrderErrors]] as const) {
      for (const error of errors) {
        const response = documentedResponse(doc, method, path, error.status)!;
        expect({ method, code: error.code, documented: documentedCodes(response).includes(error.code), retryAfter: response.headers?.['Retry-After']?.required === true })
          .toEqual({ method, code: error.code, documented: true, retryAfter: error.retryAfter === true });
      }
    }
  });
});

describe('the answers the code builds match the documented schemas', () => {
  const schemaOf = (method: string, path: string, status: number) => documentedResponse(doc, method, path, status)!.content['application/json'].schema;
  const stored: StoredOrder = {
    customer: 'alpha',
    record_id: 'unique_id_1',
    parameter_1: 'abc',
    parameter_2: '12345678901234567890.5',
    ttl: 1_800_000_000,
    received_at: '2026-12-01T20:15:00.000Z',
    status: 'accepted',
    auction_id: auctionIdOf(new Date('2026-12-01T21:00:00Z')),
    submitted_at: '2026-12-01T21:00:40.000Z',
    submitted_by: 'run-1',
    finished_at: '2026-12-01T21:02:00.000Z',
    result: { order_id: 'alpha:unique_id_1', status: 'accepted', cleared_volume: 4, clearing_price: 87.5, extra: 'kept' },
    result_key: 'results/auction=2026-12-01T2100Z/customer=alpha/unique_id_1.json',
  };

  it('GET 200: orderJson of a fresh and of a finished order', () => {
    const validate = validatorFor(schemaOf('GET', '/orders/{record_id}', 200));
    const fresh: StoredOrder = { ...stored, status: 'received', submitted_at: undefined, result: undefined, result_key: undefined };
    const failed: StoredOrder = { ...stored, status: 'failed', reason: 'NoResult', result: undefined, result_key: undefined };

    for (const order of [stored, fresh, failed]) {
      expect({ order: order.status, errors: validate(JSON.parse(orderJson(order))) ? [] : schemaErrors(validate) }).toEqual({ order: order.status, errors: [] });
    }
  });

  it('GET 200 refuses what the view must never show (the owner, internal attributes) and a wrong status', () => {
    const validate = validatorFor(schemaOf('GET', '/orders/{record_id}', 200));
    const view = JSON.parse(orderJson(stored)) as Record<string, unknown>;

    expect(validate({ ...view, customer: 'alpha' })).toBe(false);
    expect(validate({ ...view, submitted_by: 'run-1' })).toBe(false);
    expect(validate({ ...view, status: 'done' })).toBe(false);
  });

  it('POST 201 {"accepted": N} for 1..max, not 0 or a fraction', () => {
    const validate = validatorFor(schemaOf('POST', '/orders', 201));

    expect([1, maxOrdersPerRequest].map((n) => validate({ accepted: n }))).toEqual([true, true]);
    expect([0, 1.5, maxOrdersPerRequest + 1].map((n) => validate({ accepted: n }))).toEqual([false, false, false]);
    expect(validate({ accepted: 1, extra: true })).toBe(false);
  });

  it('error answers: errorBody of a function error validates against its status, and not against another', () => {
    const locked = new OrdersLockedError([{ index: 0, record_id: 'a', auction_id: '2026-12-01T2100Z' }]);
    const body = errorBody(locked.code, locked.message, locked.details);

    expect(validatorFor(schemaOf('POST', '/orders', 409))(body)).toBe(true);
    expect(validatorFor(schemaOf('POST', '/orders', 400))(body)).toBe(false);
    expect(validatorFor(schemaOf('POST', '/orders', 409))({ message: 'Forbidden' })).toBe(false);
  });
});
