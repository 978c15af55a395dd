/**
 * One Lambda execution environment. The runner bundles this file with esbuild and starts it as a
 * worker thread per sandbox, so the handler runs as plain CommonJS without TypeScript loader hooks,
 * with its own module cache and its own copy of process.env, like a real Lambda sandbox.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

export interface WorkerData {
  readonly taskRoot: string;
  /** e.g. `index.handler`, as in the template. */
  readonly handler: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly sourceMaps: boolean;
}

export interface InvokeMessage {
  readonly id: string;
  /** JSON text, as Lambda hands events over. */
  readonly event: string;
  readonly deadlineMs: number;
}

export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: string[];
}

export type ResultMessage = { id: string; ok: true; payload: string } | { id: string; ok: false; error: LambdaError };

type Handler = (event: unknown, context: unknown, callback?: (err: unknown, result?: unknown) => void) => unknown;

const data = workerData as WorkerData;
if (data.sourceMaps) process.setSourceMapsEnabled(true);

class RuntimeError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

let handlerFn: Handler | undefined;

/** Loads the handler once per sandbox, with the same error names Lambda's Node runtime reports. */
async function loadHandler(): Promise<Handler> {
  if (handlerFn) return handlerFn;
  const dot = data.handler.lastIndexOf('.');
  const modulePath = data.handler.slice(0, dot);
  const exportName = data.handler.slice(dot + 1);
  const file = ['.js', '.cjs', '.mjs'].map((ext) => join(data.taskRoot, modulePath + ext)).find((f) => existsSync(f));
  if (!file) throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : require(file);
  } catch (error) {
    throw new RuntimeError('Runtime.ImportModuleError', String(error));
  }
  const fn = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof fn !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${data.handler} is undefined or not exported`);
  }
  handlerFn = fn as Handler;
  return handlerFn;
}

/** Lambda's Node runtime reports `error.name` as errorType; Step Functions matches Retry/Catch on it. */
function toLambdaError(error: unknown): LambdaError {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') };
  }
  return { errorType: typeof error, errorMessage: typeof error === 'string' ? error : JSON.stringify(error) };
}

async function invoke(message: InvokeMessage): Promise<ResultMessage> {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: message.id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
  try {
    const handler = await loadHandler();
    const event = JSON.parse(message.event);
    const result = await new Promise((resolve, reject) => {
      // Callback-style handlers (3 parameters) are still supported by the Node 22 runtime.
      const callback = (err: unknown, value?: unknown) => (err ? reject(err) : resolve(value));
      const returned = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
      if (handler.length < 3 || (returned && typeof (returned as Promise<unknown>).then === 'function')) {
        Promise.resolve(returned).then(resolve, reject);
      }
    });
    return { id: message.id, ok: true, payload: JSON.stringify(result ?? null) };
  } catch (error) {
    return { id: message.id, ok: false, error: toLambdaError(error) };
  }
}

parentPort?.on('message', (message: InvokeMessage) => {
  void invoke(message).then((result) => parentPort?.postMessage(result));
});
