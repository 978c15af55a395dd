import { createServer, Server } from 'node:http';
import { listen, readBody } from '../core/net';
import { log } from '../core/log';

export interface SlackMessage {
  readonly receivedAt: string;
  readonly path: string;
  /** The posted payload (Slack webhook JSON), or the raw text when it was not JSON. */
  readonly body: unknown;
  /** One readable line: the message text or the first block's text. */
  readonly summary: string;
}

/** What an interceptor makes the sink do with a webhook post instead of accepting it. */
export type SlackFailure = { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | 'reset';

export interface SlackSink {
  readonly url: string;
  readonly messages: SlackMessage[];
  /** Test hook (fault injection): sees every webhook post first and may fail it; unset, every post is accepted. */
  setInterceptor(interceptor: ((path: string) => SlackFailure | undefined) | undefined): void;
  close(): Promise<void>;
}

function textOf(body: unknown): string {
  if (typeof body === 'string') return body;
  const b = body as { text?: string; blocks?: Array<{ text?: { text?: string } | string }> };
  const fromBlocks = (b?.blocks ?? [])
    .map((block) => (typeof block.text === 'string' ? block.text : block.text?.text))
    .filter(Boolean)
    .join(' | ');
  return b?.text || fromBlocks || JSON.stringify(body);
}

/**
 * Stands in for a Slack incoming webhook: answers "ok" like Slack, keeps every message and prints it.
 * `GET /messages` lists them; `DELETE /messages` clears them (handy between test scenarios).
 */
export async function startSlackSink(port: number): Promise<SlackSink> {
  const messages: SlackMessage[] = [];
  let interceptor: ((path: string) => SlackFailure | undefined) | undefined;
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/messages' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(messages));
      return;
    }
    if (req.url === '/messages' && req.method === 'DELETE') {
      messages.length = 0;
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method_not_allowed');
      return;
    }
    const raw = (await readBody(req)).toString('utf8');
    const failure = interceptor?.(req.url ?? '/');
    if (failure === 'reset') {
      req.socket.destroy();
      return;
    }
    if (failure) {
      res.writeHead(failure.status, { 'content-type': 'text/plain', ...failure.headers }).end(failure.body ?? '');
      return;
    }
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Slack also accepts form posts; keep the text as it came.
    }
    const summary = textOf(body).replace(/\s+/g, ' ').trim();
    messages.push({ receivedAt: new Date().toISOString(), path: req.url ?? '/', body, summary });
    log('slack', `#${messages.length} ${summary.length > 200 ? `${summary.slice(0, 200)}...` : summary}`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  const actual = await listen(server, port, 'slack sink');
  return {
    url: `http://127.0.0.1:${actual}/services/local/webhook`,
    messages,
    setInterceptor: (fn) => {
      interceptor = fn;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
