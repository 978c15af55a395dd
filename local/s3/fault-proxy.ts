import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, Server } from 'node:http';
import { listen } from '../core/net';

/** One object PUT the proxy saw, in arrival order, with the status the client got. */
export interface S3PutAttempt {
  readonly bucket: string;
  readonly key: string;
  readonly status: number;
}

export interface S3PutFault {
  /** Matched against the object key (decoded), e.g. /order-0*[13]\.json$/. */
  readonly keyPattern: RegExp;
  /** Failures per matching key before its puts go through again; 'always' never lets them through. */
  readonly times: number | 'always';
  /** HTTP status answered instead of storing. @default 503 (SlowDown, which the SDK retries) */
  readonly status?: number;
}

const ERROR_CODES: Record<number, [string, string]> = {
  400: ['InvalidRequest', 'Injected fault'],
  403: ['AccessDenied', 'Access Denied'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  503: ['SlowDown', 'Please reduce your request rate.'],
};

export interface S3FaultProxy {
  readonly endpoint: string;
  readonly puts: S3PutAttempt[];
  fail(fault: S3PutFault): void;
  clear(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of s3rver on the S3 endpoint the functions use, so tests can make chosen
 * object PUTs fail with an S3 error document while handlers stay unchanged. Started only when the
 * runtime runs with fault injection; with no fault set it forwards everything.
 */
export async function startS3FaultProxy(port: number, upstream: string): Promise<S3FaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const puts: S3PutAttempt[] = [];
  const faults: Array<{ fault: S3PutFault; failedByKey: Map<string, number> }> = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    // Path-style addressing (the SDK uses it for IP endpoints): /<bucket>/<key>.
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const isObjectPut = req.method === 'PUT' && key !== '' && !url.searchParams.has('uploadId');
    const record = (status: number) => {
      if (isObjectPut) puts.push({ bucket, key, status });
    };

    const active = isObjectPut
      ? faults.find(({ fault, failedByKey }) => fault.keyPattern.test(key) && (fault.times === 'always' || (failedByKey.get(key) ?? 0) < fault.times))
      : undefined;
    if (active) {
      active.failedByKey.set(key, (active.failedByKey.get(key) ?? 0) + 1);
      const status = active.fault.status ?? 503;
      const [code, message] = ERROR_CODES[status] ?? ['InjectedFault', 'Injected fault'];
      const requestId = randomUUID();
      req.resume();
      req.on('end', () => {
        record(status);
        res
          .writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId })
          .end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Key>${key}</Key><RequestId>${requestId}</RequestId></Error>`);
      });
      return;
    }

    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
      (upstreamRes) => {
        record(upstreamRes.statusCode ?? 502);
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', (error) => {
      record(502);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(forward);
  });
  const actual = await listen(server, port, 's3');
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    puts,
    fail: (fault) => void faults.push({ fault, failedByKey: new Map() }),
    clear: () => {
      faults.length = 0;
      puts.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
