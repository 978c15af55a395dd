import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { GatewayError } from '../../src/orders/gateway-errors';

/** `ACCESS_DENIED` -> `AccessDenied`, so each response's construct id names its type. */
const pascal = (type: string) => type.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

/**
 * One gateway response per entry, so whatever API Gateway itself answers keeps the API's error shape.
 * The template is static JSON: gateway response templates only substitute `$context` values (no VTL), and the
 * messages contain no `$`. Header values are quoted literals, as API Gateway's parameter mapping wants them.
 */
export function addGatewayResponses(api: apigw.RestApi, errors: readonly GatewayError[]): void {
  for (const error of errors) {
    if (error.message.includes('$')) throw new Error(`Gateway response ${error.type}: a message must not contain "$" (API Gateway would read it as a variable)`);
    const headers: Record<string, string> = { 'Content-Type': "'application/json'" };
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = `'${error.retryAfterSeconds}'`;
    api.addGatewayResponse(`GatewayResponse${pascal(error.type)}`, {
      type: apigw.ResponseType.of(error.type),
      statusCode: error.status === undefined ? undefined : String(error.status),
      responseHeaders: headers,
      templates: { 'application/json': JSON.stringify({ error: { code: error.code, message: error.message, details: [] } }) },
    });
  }
}
