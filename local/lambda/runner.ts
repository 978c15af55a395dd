import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import { buildSync } from 'esbuild';
import type { InvokeMessage, LambdaError, ResultMessage, WorkerData } from './worker';
import { log, warn } from '../core/log';

/** Everything needed to run one function of the template locally. */
export interface FunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Short name for logs: POWERTOOLS_SERVICE_NAME when set, else the logical id. */
  readonly label: string;
  readonly taskRoot: string;
  readonly handler: string;
  readonly env: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Async invocations (SNS, EventBridge) retry this many times after a failure, as Lambda does. */
  readonly asyncRetries: number;
  /** Where failed async events would go in AWS (dead-letter queue or on-failure destination). */
  readonly deadLetterArn?: string;
}

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: LambdaError };

export interface RunnerOptions {
  /** Sandboxes per function, like reserved concurrency; extra invocations queue. */
  readonly maxConcurrency: number;
  /** Print the functions' own log lines. */
  readonly printLogs: boolean;
  /** Scales the delays between async retries (LOCAL_TIME_SCALE). */
  readonly timeScale: number;
  /**
   * Delivers an async event that failed every attempt to the function's dead-letter target (an SQS queue
   * or SNS topic of the template) and returns where it went; without it the event is reported as lost.
   */
  readonly deadLetter?: (targetArn: string, letter: DeadLetter) => string;
}

/** What Lambda sends to a dead-letter queue: the event as the body, and why it failed as attributes. */
export interface DeadLetter {
  readonly body: string;
  readonly attributes: {
    readonly RequestID: { DataType: 'String'; StringValue: string };
    readonly ErrorCode: { DataType: 'Number'; StringValue: string };
    readonly ErrorMessage: { DataType: 'String'; StringValue: string };
  };
}

let workerSource: string | undefined;

/** The worker is bundled once per process into a self-contained CommonJS string (see worker.ts). */
function bundledWorker(): string {
  workerSource ??= buildSync({
    entryPoints: [join(__dirname, 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0].text;
  return workerSource;
}

interface Sandbox {
  worker: Worker;
  busy: boolean;
  /** Environment generation the sandbox was started with; older ones are retired when released. */
  generation: number;
  pending?: { id: string; resolve: (r: InvokeResult) => void; timer: NodeJS.Timeout };
}

/**
 * A pool of sandboxes (worker threads) for one function. A sandbox serves one invocation at a time and
 * is reused warm; a timeout or crash discards it, so the next invocation cold-starts as in Lambda.
 */
export class LocalFunction {
  private readonly sandboxes: Sandbox[] = [];
  private readonly waiting: Array<() => void> = [];
  private stopped = false;
  private generation = 0;

  constructor(
    readonly spec: FunctionSpec,
    private readonly options: RunnerOptions,
    private extraEnv: Record<string, string> = {},
  ) {}

  /** Replaces the local environment overrides; running sandboxes are retired so the change applies. */
  setExtraEnv(env: Record<string, string>): void {
    this.extraEnv = env;
    this.generation++;
    for (const sandbox of [...this.sandboxes]) if (!sandbox.busy) this.discard(sandbox);
  }

  get environment(): Record<string, string> {
    return { ...this.spec.env, ...this.extraEnv };
  }

  /** Synchronous (RequestResponse) invocation; async retries pass the event's request id again, as Lambda does. */
  async invoke(event: unknown, requestId: string = randomUUID()): Promise<InvokeResult> {
    if (this.stopped) return { ok: false, error: { errorType: 'Runtime.Stopped', errorMessage: 'The local runtime is stopping' } };
    const sandbox = await this.acquire();
    const id = requestId;
    const started = Date.now();
    return new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.discard(sandbox);
        resolve({
          ok: false,
          error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds` },
        });
      }, this.spec.timeoutSeconds * 1000);
      sandbox.pending = { id, resolve, timer };
      const message: InvokeMessage = { id, event: JSON.stringify(event ?? null), deadlineMs: started + this.spec.timeoutSeconds * 1000 };
      sandbox.worker.postMessage(message);
    }).finally(() => this.release(sandbox));
  }

  /**
   * Asynchronous (Event) invocation as SNS and EventBridge use it: returns at once (false when the
   * function no longer accepts events); failures are retried with Lambda's delays (1 min, then 2 min,
   * scaled), then the event goes to the dead-letter target.
   */
  invokeAsync(event: unknown, source: string): boolean {
    if (this.stopped) return false;
    const requestId = randomUUID();
    const attempt = async (n: number): Promise<void> => {
      const result = await this.invoke(event, requestId);
      if (result.ok || this.stopped) return;
      if (n < this.spec.asyncRetries) {
        const delay = 60_000 * (n + 1) * this.options.timeScale;
        log('lambda', `${this.spec.label} async invocation from ${source} failed (${result.error.errorType}), retry ${n + 1} in ${Math.round(delay / 1000)}s`);
        setTimeout(() => void attempt(n + 1), delay).unref();
        return;
      }
      this.deadLetter(event, source, n + 1, requestId, result.error);
    };
    void attempt(0);
    return true;
  }

  private deadLetter(event: unknown, source: string, attempts: number, requestId: string, error: LambdaError): void {
    const failure = `${this.spec.label}: event from ${source} failed after ${attempts} attempts (${error.errorType}: ${error.errorMessage})`;
    const target = this.spec.deadLetterArn;
    if (!target || !this.options.deadLetter) {
      warn(`${failure}; no dead-letter queue, the event is dropped`);
      return;
    }
    // Lambda's DLQ message: the event as the body; ErrorCode is the HTTP status of the invoke (200 for a function error).
    const letter: DeadLetter = {
      body: JSON.stringify(event),
      attributes: {
        RequestID: { DataType: 'String', StringValue: requestId },
        ErrorCode: { DataType: 'Number', StringValue: '200' },
        ErrorMessage: { DataType: 'String', StringValue: truncateUtf8(error.errorMessage || error.errorType, 1024) },
      },
    };
    try {
      warn(`${failure}; sent to the dead-letter queue ${this.options.deadLetter(target, letter)}`);
    } catch (deliveryError) {
      warn(`${failure}; the dead-letter target ${target} refused it (${String(deliveryError)}): the event is lost`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Answer invocations still running, so their timeout timers do not keep the process alive.
    for (const sandbox of this.sandboxes) {
      if (!sandbox.pending) continue;
      clearTimeout(sandbox.pending.timer);
      sandbox.pending.resolve({ ok: false, error: { errorType: 'Runtime.Stopped', errorMessage: 'The local runtime is stopping' } });
      sandbox.pending = undefined;
    }
    await Promise.all(this.sandboxes.map((s) => s.worker.terminate()));
    this.sandboxes.length = 0;
  }

  private async acquire(): Promise<Sandbox> {
    for (;;) {
      const idle = this.sandboxes.find((s) => !s.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.sandboxes.length < this.options.maxConcurrency) {
        const sandbox = this.start();
        sandbox.busy = true;
        return sandbox;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(sandbox: Sandbox): void {
    sandbox.busy = false;
    sandbox.pending = undefined;
    if (sandbox.generation !== this.generation) this.discard(sandbox);
    this.waiting.shift()?.();
  }

  private start(): Sandbox {
    const spec = this.spec;
    const data: WorkerData = {
      taskRoot: spec.taskRoot,
      handler: spec.handler,
      functionName: spec.name,
      functionArn: spec.arn,
      memoryMb: spec.memoryMb,
      sourceMaps: /--enable-source-maps/.test(this.environment.NODE_OPTIONS ?? ''),
    };
    const worker = new Worker(bundledWorker(), {
      eval: true,
      workerData: data,
      env: this.environment,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    });
    const sandbox: Sandbox = { worker, busy: false, generation: this.generation };
    log('lambda', `${spec.label}: cold start (sandbox ${this.sandboxes.length + 1} of max ${this.options.maxConcurrency})`);
    for (const stream of [worker.stdout, worker.stderr]) {
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => {
        if (this.options.printLogs) console.log(`  \x1b[2m[${spec.label}] ${line}\x1b[0m`);
      });
    }
    worker.on('message', (message: ResultMessage) => {
      const pending = sandbox.pending;
      if (!pending || pending.id !== message.id) return;
      clearTimeout(pending.timer);
      pending.resolve(message.ok ? { ok: true, payload: JSON.parse(message.payload) } : { ok: false, error: message.error });
    });
    const fail = (error: LambdaError) => {
      this.discard(sandbox);
      const pending = sandbox.pending;
      if (pending) {
        clearTimeout(pending.timer);
        pending.resolve({ ok: false, error });
      }
    };
    worker.on('error', (error: Error & { code?: string }) =>
      fail(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { errorType: 'Runtime.OutOfMemory', errorMessage: `Runtime exited with error: out of memory (${spec.memoryMb} MB)` }
          : { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${error.name}: ${error.message}` },
      ),
    );
    worker.on('exit', (code) => {
      if (this.sandboxes.includes(sandbox) && !this.stopped) {
        fail({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${code}` });
      }
    });
    this.sandboxes.push(sandbox);
    return sandbox;
  }

  private discard(sandbox: Sandbox): void {
    const i = this.sandboxes.indexOf(sandbox);
    if (i >= 0) this.sandboxes.splice(i, 1);
    void sandbox.worker.terminate();
  }
}

/** Lambda keeps the first 1 KB of the error message. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  return bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
}
