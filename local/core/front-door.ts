import { Agent, createServer, IncomingMessage, OutgoingHttpHeaders, request, Server, ServerResponse } from 'node:http';
import { listen } from './net';

/** What a front door does with one request before (or instead of) passing it to the emulator behind it. */
export interface Forward {
  /** Request headers and path to send upstream (credentials rewritten, ...). */
  readonly headers?: OutgoingHttpHeaders;
  readonly path?: string;
  /** The request body when the front door had to read it; otherwise the request is streamed. */
  readonly body?: Buffer;
  /** Rewrites a buffered upstream answer (status, headers, body); without it the answer is streamed back. */
  readonly answer?: (status: number, headers: OutgoingHttpHeaders, body: Buffer) => { status: number; headers: OutgoingHttpHeaders; body: Buffer };
  /** Only answers with this status are buffered for `answer`; others stream back untouched. */
  readonly answerStatus?: number;
}

/** Either an answer of the front door's own (AccessDenied, ...) or how to forward. */
export type FrontDoorDecision = { readonly status: number; readonly headers: OutgoingHttpHeaders; readonly body: string | Buffer } | Forward;

export interface FrontDoor {
  readonly endpoint: string;
  readonly server: Server;
  /** Stops listening and cuts open connections, as if the service were unreachable; `resume` listens again. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Reads a request body whole. */
export function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A loopback HTTP server in front of an emulator (dynalite, s3rver) where the runtime checks IAM and fixes
 * what the emulator answers differently from AWS, keeping the emulator itself unchanged. `decide` sees each
 * request and either answers it or says how to forward it.
 */
export async function startFrontDoor(
  port: number,
  upstream: string,
  what: string,
  decide: (req: IncomingMessage) => Promise<FrontDoorDecision> | FrontDoorDecision,
): Promise<FrontDoor> {
  const target = new URL(upstream);
  // A fresh loopback connection per request: a kept-alive socket the emulator closes while idle would turn
  // the next request into a spurious 502 (a reset the front door cannot replay with a streamed body).
  const agent = new Agent({ keepAlive: false });
  const fail = (res: ServerResponse, error: unknown) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`${what} front door: ${String(error)}`);
  };
  const server = createServer((req, res) => {
    Promise.resolve(decide(req)).then((decision) => {
      if ('status' in decision) {
        if (!req.readableEnded) req.resume();
        res.writeHead(decision.status, decision.headers).end(decision.body);
        return;
      }
      const headers = { ...req.headers, ...decision.headers, host: target.host };
      if (decision.body) headers['content-length'] = String(decision.body.length);
      const forward = request({ host: target.hostname, port: target.port, method: req.method, path: decision.path ?? req.url, headers, agent }, (up) => {
        const status = up.statusCode ?? 502;
        if (!decision.answer || (decision.answerStatus !== undefined && decision.answerStatus !== status)) {
          res.writeHead(status, up.headers);
          up.pipe(res);
          return;
        }
        readAll(up).then((body) => {
          const out = decision.answer?.(status, { ...up.headers }, body) ?? { status, headers: up.headers, body };
          res.writeHead(out.status, { ...out.headers, 'content-length': String(out.body.length) }).end(out.body);
        }, (error) => fail(res, error));
      });
      forward.on('error', (error) => fail(res, error));
      if (decision.body) forward.end(decision.body);
      else req.pipe(forward);
    }, (error) => fail(res, error));
  });
  const actual = await listen(server, port, what);
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    server,
    pause: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    resume: async () => {
      if (!server.listening) await listen(server, actual, what);
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
