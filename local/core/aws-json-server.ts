import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { accessKeyOf } from '../iam/authorizer';
import { listen, readBody } from './net';

const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** SNS's answer to a call IAM denies: 403 AuthorizationError (its messages spell the action `SNS:Publish`). */
function queryAccessDenied(message: string): { status: number; body: string } {
  const text = message.replace(/(perform: |the )sns:/g, '$1SNS:');
  return {
    status: 403,
    body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>${xmlText(text)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/** An error answered in AWS JSON protocol shape; `type` becomes the SDK exception name. */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Handles the operations of one service, e.g. prefix `AWSStepFunctions` with `{ StartExecution }`. */
export interface AwsJsonService {
  readonly targetPrefix: string;
  readonly contentType: string;
  readonly operations: Record<string, (input: Record<string, unknown>) => Promise<unknown> | unknown>;
}

/**
 * One loopback server for the AWS JSON-protocol services the runtime answers itself (Step Functions,
 * Secrets Manager). The SDK signs requests; signatures are not checked, as with the other emulators.
 */
/** A service of the AWS Query protocol (form-encoded request, XML answer), e.g. SNS; keyed by its signing name. */
export type AwsQueryService = (form: URLSearchParams) => { status: number; body: string };

/** A body that is not a JSON object is the client's mistake: AWS answers 400 SerializationException, never a 500 (SDKs retry 5xx). */
function parseJsonBody(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = raw ? JSON.parse(raw) : {};
  } catch {
    throw new AwsJsonError('SerializationException', 'Unable to parse the request body as JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AwsJsonError('SerializationException', 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * IAM in front of the services: AWS's AccessDenied message when the caller (by access key id) may not make
 * the call, else undefined. JSON services get `target prefix` and operation; Query services their signing name.
 */
export interface AwsCallAuthorizer {
  json?(targetPrefix: string, operation: string, input: Record<string, unknown>, accessKeyId: string | undefined): string | undefined;
  query?(signingName: string, form: URLSearchParams, accessKeyId: string | undefined): string | undefined;
}

export async function startAwsJsonServer(
  port: number,
  services: AwsJsonService[],
  queryServices: Record<string, AwsQueryService> = {},
  authorize: AwsCallAuthorizer = {},
): Promise<{ endpoint: string; server: Server }> {
  const server = createServer(async (req: IncomingMessage, res) => {
    // Query-protocol requests carry no target; the SigV4 credential scope names the service.
    const contentType = String(req.headers['content-type'] ?? '');
    if (!req.headers['x-amz-target'] && contentType.startsWith('application/x-www-form-urlencoded')) {
      const signingName = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const query: AwsQueryService | undefined = queryServices[signingName];
      const raw = (await readBody(req)).toString('utf8');
      const form = new URLSearchParams(raw);
      const denied = signingName in queryServices ? authorize.query?.(signingName, form, accessKeyOf(req.headers)) : undefined;
      const answer = denied
        ? queryAccessDenied(denied)
        : query
          ? query(form)
          : { status: 400, body: `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Service ${signingName || '(unknown)'} is not supported locally</Message></Error></ErrorResponse>` };
      res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, operation] = target.split('.');
    const service = services.find((s) => s.targetPrefix === prefix);
    const send = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': service?.contentType ?? 'application/x-amz-json-1.0', ...extra });
      res.end(JSON.stringify(body));
    };
    try {
      const raw = (await readBody(req)).toString('utf8');
      const handler = service?.operations[operation];
      if (!service || !handler) throw new AwsJsonError('UnknownOperationException', `Operation ${target || '(none)'} is not supported locally`);
      send(200, (await handler(parseJsonBody(raw))) ?? {});
    } catch (error) {
      const e = error instanceof AwsJsonError ? error : new AwsJsonError('InternalFailure', String(error), 500);
      send(e.status, { __type: e.type, message: e.message }, { 'x-amzn-errortype': e.type });
    }
  });
  const actual = await listen(server, port, 'aws json services');
  return { endpoint: `http://127.0.0.1:${actual}`, server };
}
