// Scenarios: the table covers every response type API Gateway (REST) documents; for each stage and each type the orders API has exactly one GatewayResponse whose template is the SPEC error shape with the table's code and message, the table's status (none for the two defaults), Content-Type application/json, Retry-After exactly where the table sets it (every 429 among them); no other gateway responses; the validator's message states the schema's limits.
import { gatewayErrors } from '../../src/orders/gateway-errors';
import { stages, type StageName } from '../../infra/config';
import { logicalIdOf, resourcesOf, synthStage } from './synth';

/** Valid values of GetGatewayResponse's response_type (API Gateway REST API reference). */
const DOCUMENTED_TYPES = [
  'DEFAULT_4XX', 'DEFAULT_5XX', 'RESOURCE_NOT_FOUND', 'UNAUTHORIZED', 'INVALID_API_KEY', 'ACCESS_DENIED', 'AUTHORIZER_FAILURE',
  'AUTHORIZER_CONFIGURATION_ERROR', 'INVALID_SIGNATURE', 'EXPIRED_TOKEN', 'MISSING_AUTHENTICATION_TOKEN', 'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT', 'API_CONFIGURATION_ERROR', 'UNSUPPORTED_MEDIA_TYPE', 'BAD_REQUEST_PARAMETERS', 'BAD_REQUEST_BODY',
  'REQUEST_TOO_LARGE', 'THROTTLED', 'QUOTA_EXCEEDED', 'WAF_FILTERED',
];

test('the table has one entry for every documented gateway response type', () => {
  const types = gatewayErrors(1000).map((e) => e.type);

  expect([...types].sort()).toEqual([...DOCUMENTED_TYPES].sort());
  expect(new Set(types).size).toBe(types.length);
});

test.each<StageName>(['Local', 'Prod'])('%s: every gateway response type answers in the error shape', (stageName) => {
  const config = stages[stageName];
  const { template } = synthStage(stageName);
  const api = logicalIdOf(template, 'AWS::ApiGateway::RestApi', { Name: `${config.prefix}-orders` });
  const responses = resourcesOf(template, 'AWS::ApiGateway::GatewayResponse')
    .map(([, r]) => r.Properties as Record<string, unknown>)
    .filter((p) => JSON.stringify(p.RestApiId) === JSON.stringify({ Ref: api }));
  const errors = gatewayErrors(config.api.maxOrdersPerRequest);

  expect(responses.map((p) => p.ResponseType).sort()).toEqual(DOCUMENTED_TYPES.sort());
  for (const error of errors) {
    const [response] = responses.filter((p) => p.ResponseType === error.type);
    const headers = response.ResponseParameters as Record<string, string>;
    const body = JSON.parse((response.ResponseTemplates as Record<string, string>)['application/json']);

    expect([error.type, body]).toEqual([error.type, { error: { code: error.code, message: error.message, details: [] } }]);
    expect([error.type, response.StatusCode]).toEqual([error.type, error.status === undefined ? undefined : String(error.status)]);
    expect([error.type, headers['gatewayresponse.header.Content-Type']]).toEqual([error.type, "'application/json'"]);
    const retryAfter = error.retryAfterSeconds === undefined ? undefined : `'${error.retryAfterSeconds}'`;
    expect([error.type, headers['gatewayresponse.header.Retry-After']]).toEqual([error.type, retryAfter]);
    if (error.status === 429) expect([error.type, retryAfter]).toEqual([error.type, expect.stringMatching(/^'[1-9]\d*'$/)]);
  }
});

test('the request validator\'s answer states the schema\'s limits, and unknown routes are 404', () => {
  const byType = new Map(gatewayErrors(stages.Local.api.maxOrdersPerRequest).map((e) => [e.type, e]));

  expect(byType.get('BAD_REQUEST_BODY')).toMatchObject({ status: 400, code: 'INVALID_ORDERS', message: expect.stringMatching(/1 to 1000 orders.*1 to 128 characters/) });
  expect(byType.get('MISSING_AUTHENTICATION_TOKEN')).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(byType.get('THROTTLED')).toMatchObject({ status: 429, code: 'THROTTLED' });
  expect(byType.get('INVALID_API_KEY')).toMatchObject({ status: 403, code: 'INVALID_API_KEY' });
});
