import type { DynamoEmulator } from '../dynamodb/emulator';
import type { SlackSink } from '../slack/sink';
import { log } from './log';
import type { S3FaultProxy, S3PutAttempt, S3PutFault } from '../s3/fault-proxy';

export type { S3PutAttempt, S3PutFault } from '../s3/fault-proxy';

export interface SlackFault {
  /** HTTP status the webhook answers, or 'down': the connection is reset without an answer. */
  readonly status: number | 'down';
  /** How many posts fail before the webhook accepts again; 'always' until cleared. */
  readonly times: number | 'always';
  /** Retry-After header (seconds) on 429 and 503 answers. @default 0, so tests do not wait */
  readonly retryAfterSeconds?: number;
}

/** One post the webhook got: the status answered, or 'down' when the connection was reset. */
export interface SlackPostAttempt {
  readonly path: string;
  readonly status: number | 'down';
}

/**
 * Test-only fault injection on a runtime started with `faultInjection: true`. Nothing here is active
 * until a test calls it; `clear()` puts everything back (DynamoDB running, no S3 or Slack faults).
 */
export interface Faults {
  /** DynamoDB stops answering (connection refused, open connections cut); the data is kept. */
  stopDynamo(): Promise<void>;
  startDynamo(): Promise<void>;
  /** Object PUTs whose key matches fail with an S3 error; several faults may be active at once. */
  failS3Puts(fault: S3PutFault): void;
  /** Every object PUT the S3 endpoint saw since the start or the last clear(), failed or not. */
  s3Puts(): readonly S3PutAttempt[];
  /** The Slack webhook fails the next posts (replaces an earlier Slack fault). */
  slack(fault: SlackFault): void;
  /** Every post the Slack webhook got since the start or the last clear(), failed or not. */
  slackPosts(): readonly SlackPostAttempt[];
  clear(): Promise<void>;
}

export function createFaults(dynamo: DynamoEmulator, s3: S3FaultProxy, slack: SlackSink): Faults {
  const slackPosts: SlackPostAttempt[] = [];
  let slackFault: { fault: SlackFault; failed: number } | undefined;
  slack.setInterceptor((path) => {
    const active = slackFault && (slackFault.fault.times === 'always' || slackFault.failed < slackFault.fault.times) ? slackFault : undefined;
    if (!active) {
      slackPosts.push({ path, status: 200 });
      return undefined;
    }
    active.failed++;
    const { status, retryAfterSeconds = 0 } = active.fault;
    slackPosts.push({ path, status });
    log('faults', `slack webhook post ${active.failed} failed on purpose (${status})`);
    if (status === 'down') return 'reset';
    const headers: Record<string, string> = status === 429 || status === 503 ? { 'retry-after': String(retryAfterSeconds) } : {};
    return { status, headers, body: status === 429 ? 'rate_limited' : 'service_unavailable' };
  });
  return {
    stopDynamo: async () => {
      await dynamo.pause();
      log('faults', 'DynamoDB stopped');
    },
    startDynamo: async () => {
      await dynamo.resume();
      log('faults', 'DynamoDB started again');
    },
    failS3Puts: (fault) => {
      s3.fail(fault);
      log('faults', `S3 puts matching ${fault.keyPattern} fail ${fault.times === 'always' ? 'always' : `${fault.times} time(s) per key`} (${fault.status ?? 503})`);
    },
    s3Puts: () => [...s3.puts],
    slack: (fault) => {
      slackFault = { fault, failed: 0 };
      log('faults', `Slack webhook fails ${fault.times === 'always' ? 'always' : `${fault.times} time(s)`} (${fault.status})`);
    },
    slackPosts: () => [...slackPosts],
    clear: async () => {
      await dynamo.resume();
      s3.clear();
      slackFault = undefined;
      slackPosts.length = 0;
    },
  };
}
