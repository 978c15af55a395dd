import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import { buildSync } from 'esbuild';
import type { InvokeMessage, LambdaError, ResultMessage, WorkerData } from './worker';
import { log, warn } from '../log';

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

  /** Synchronous (RequestResponse) invocation. */
  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.stopped) return { ok: false, error: { errorType: 'Runtime.Stopped', errorMessage: 'The local runtime is stopping' } };
    const sandbox = await this.acquire();
    const id = randomUUID();
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
   * Asynchronous (Event) invocation as SNS and EventBridge use it: returns at once; failures are retried
   * with Lambda's delays (1 min, then 2 min, scaled), then reported as dead-lettered.
   */
  invokeAsync(event: unknown, source: string): void {
    const attempt = async (n: number): Promise<void> => {
      const result = await this.invoke(event);
      if (result.ok || this.stopped) return;
      if (n < this.spec.asyncRetries) {
        const delay = 60_000 * (n + 1) * this.options.timeScale;
        log('lambda', `${this.spec.label} async invocation from ${source} failed (${result.error.errorType}), retry ${n + 1} in ${Math.round(delay / 1000)}s`);
        setTimeout(() => void attempt(n + 1), delay).unref();
        return;
      }
      const where = this.spec.deadLetterArn ? `would go to ${this.spec.deadLetterArn}` : 'is dropped (no dead-letter queue)';
      warn(`${this.spec.label}: event from ${source} failed after ${n + 1} attempts (${result.error.errorType}: ${result.error.errorMessage}); in AWS it ${where}`);
    };
    void attempt(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
