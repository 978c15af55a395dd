import type { APIGatewayProxyResult } from 'aws-lambda';

// Answers change as an order's auction runs, so no cache (browser or proxy) may keep one.
const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/** A JSON answer for API Gateway's proxy integration. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
