import { randomUUID } from 'node:crypto';
import { internals } from './library';
import type { ExecutionHistory } from './execution-history';
import { log } from '../core/log';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Step Functions' payload limit (256 KiB per state input/output, execution input and child input). */
export const PAYLOAD_LIMIT = 256 * 1024;

/** An error Retry and Catch can match by name (States.ItemReaderFailed, States.ExceedToleratedFailureThreshold, ...). */
export class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** An error neither Retry nor Catch (States.ALL) handles: the execution fails, as AWS does for States.DataLimitExceeded. */
export class TerminalStatesError extends StatesError {
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** The S3 calls ItemReader and ResultWriter make, against the runtime's S3 endpoint. */
export interface ObjectStore {
  getObject(bucket: string, key: string): Promise<string>;
  putObject(bucket: string, key: string, body: string): Promise<void>;
}

/** What one child execution is, as the Distributed Map sees it. */
export interface ChildExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: string;
  readonly status: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly done: Promise<void>;
  abort(): void;
}

interface Counts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
}

/** A Map Run, as DescribeMapRun shows it. */
export interface MapRun {
  readonly mapRunArn: string;
  readonly executionArn: string;
  readonly stateName: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly startDate: Date;
  stopDate?: Date;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly toleratedFailureCount: number;
  readonly itemCounts: Counts;
  readonly executionCounts: Counts;
  readonly executions: ChildExecution[];
}

/** The fields of a Distributed Map state, checked at start. */
export interface DistributedMapState {
  readonly stateName: string;
  readonly executionType: 'STANDARD' | 'EXPRESS';
  readonly label?: string;
  readonly reader?: { parameters: Json; maxItems?: number; maxItemsPath?: string };
  readonly itemsPath?: string;
  readonly itemSelector?: Json;
  readonly batcher?: {
    maxItems?: number;
    maxItemsPath?: string;
    maxBytes?: number;
    maxBytesPath?: string;
    batchInput?: Json;
  };
  readonly maxConcurrency?: number;
  readonly maxConcurrencyPath?: string;
  readonly toleratedFailurePercentage?: number;
  readonly toleratedFailurePercentagePath?: string;
  readonly toleratedFailureCount?: number;
  readonly toleratedFailureCountPath?: string;
  readonly writer?: { parameters: Json };
}

/** Fields only a Distributed Map may carry. */
export const DISTRIBUTED_ONLY_FIELDS = [
  'ItemReader', 'ItemBatcher', 'ResultWriter', 'Label',
  'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ToleratedFailureCount', 'ToleratedFailureCountPath',
];

/** Without MaxConcurrency AWS runs up to 10,000 children at once; locally the Lambda sandboxes are the bottleneck anyway. */
const DEFAULT_MAX_CONCURRENCY = 1000;
/** AWS splits result files at 5 GB; locally one file must stay below V8's string limit. */
const RESULT_FILE_MAX_BYTES = 256 * 1024 * 1024;

const S3_GET = /^arn:aws[a-z-]*:states:::s3:getObject$/;
const S3_PUT = /^arn:aws[a-z-]*:states:::s3:putObject$/;

/** Reads a Distributed Map state's fields; what the local runtime cannot run goes to `problems` (a loud start). */
export function parseDistributedMap(stateName: string, state: Record<string, unknown>, problems: string[]): DistributedMapState {
  const where = `state "${stateName}" (distributed Map)`;
  const processor = state.ItemProcessor as { ProcessorConfig?: { ExecutionType?: string } };
  const executionType = (processor.ProcessorConfig?.ExecutionType ?? 'STANDARD') as 'STANDARD' | 'EXPRESS';
  if (executionType !== 'STANDARD' && executionType !== 'EXPRESS') problems.push(`${where}: ExecutionType ${executionType}`);
  if ('Iterator' in state) problems.push(`${where}: Iterator (use ItemProcessor)`);

  let reader: DistributedMapState['reader'];
  if (state.ItemReader) {
    const r = state.ItemReader as { Resource?: string; ReaderConfig?: Record<string, unknown>; Parameters?: Json };
    const inputType = r.ReaderConfig?.InputType;
    if (!S3_GET.test(String(r.Resource)) || inputType !== 'JSON') {
      problems.push(`${where}: field ItemReader with ${String(r.Resource)} and InputType ${String(inputType)} (only s3:getObject with InputType JSON is supported)`);
    }
    for (const key of Object.keys(r.ReaderConfig ?? {})) {
      if (!['InputType', 'MaxItems', 'MaxItemsPath'].includes(key)) problems.push(`${where}: field ItemReader.ReaderConfig.${key}`);
    }
    reader = { parameters: r.Parameters ?? {}, maxItems: r.ReaderConfig?.MaxItems as number | undefined, maxItemsPath: r.ReaderConfig?.MaxItemsPath as string | undefined };
  }
  let writer: DistributedMapState['writer'];
  if (state.ResultWriter) {
    const w = state.ResultWriter as { Resource?: string; Parameters?: Json; WriterConfig?: unknown };
    if (!S3_PUT.test(String(w.Resource))) problems.push(`${where}: field ResultWriter with ${String(w.Resource)} (only s3:putObject is supported)`);
    if (w.WriterConfig !== undefined) problems.push(`${where}: field ResultWriter.WriterConfig`);
    writer = { parameters: w.Parameters ?? {} };
  }
  const b = state.ItemBatcher as Record<string, unknown> | undefined;
  return {
    stateName,
    executionType,
    label: state.Label as string | undefined,
    reader,
    itemsPath: state.ItemsPath as string | undefined,
    itemSelector: (state.ItemSelector ?? state.Parameters) as Json | undefined,
    batcher: b && {
      maxItems: b.MaxItemsPerBatch as number | undefined,
      maxItemsPath: b.MaxItemsPerBatchPath as string | undefined,
      maxBytes: b.MaxInputBytesPerBatch as number | undefined,
      maxBytesPath: b.MaxInputBytesPerBatchPath as string | undefined,
      batchInput: b.BatchInput as Json | undefined,
    },
    maxConcurrency: state.MaxConcurrency as number | undefined,
    maxConcurrencyPath: state.MaxConcurrencyPath as string | undefined,
    toleratedFailurePercentage: state.ToleratedFailurePercentage as number | undefined,
    toleratedFailurePercentagePath: state.ToleratedFailurePercentagePath as string | undefined,
    toleratedFailureCount: state.ToleratedFailureCount as number | undefined,
    toleratedFailureCountPath: state.ToleratedFailureCountPath as string | undefined,
    writer,
  };
}

export interface MapRunRequest {
  readonly spec: DistributedMapState;
  /** The Map state's effective input (after InputPath) and the execution's context object. */
  readonly input: Json;
  readonly context: Record<string, unknown>;
  readonly abortSignal?: AbortSignal;
  readonly parent: { executionArn: string; stateMachineArn: string; name: string };
  readonly history: ExecutionHistory;
  readonly store?: ObjectStore;
  /** Starts one child execution of the ItemProcessor. */
  startChild(input: Json, child: { executionArn: string; name: string; stateMachineArn: string; stateMachineName: string; mapRunArn: string }): ChildExecution;
  registerMapRun(run: MapRun): void;
}

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null));

function pathNumber(path: string | undefined, fallback: number | undefined, input: Json, context: unknown, what: string): number | undefined {
  if (path === undefined) return fallback;
  const value = internals.jsonPathQuery(path, input, context);
  if (typeof value !== 'number' || !(value >= 0)) throw new TerminalStatesError('States.Runtime', `${what} (${path}) must be a non-negative number, got ${JSON.stringify(value)}`);
  return value;
}

async function readItems(req: MapRunRequest): Promise<Json[]> {
  const { spec, input, context } = req;
  if (!spec.reader) {
    const items = spec.itemsPath ? internals.jsonPathQuery(spec.itemsPath, input, context) : input;
    if (!Array.isArray(items)) throw new TerminalStatesError('States.Runtime', `Map state "${spec.stateName}": ItemsPath must point to an array`);
    return items as Json[];
  }
  const params = internals.processPayloadTemplate(spec.reader.parameters, input, context) as { Bucket?: unknown; Key?: unknown };
  const where = `s3://${String(params.Bucket)}/${String(params.Key)}`;
  if (!req.store) throw new StatesError('States.ItemReaderFailed', 'No S3 endpoint is configured for ItemReader');
  let items: unknown;
  try {
    items = JSON.parse(await req.store.getObject(String(params.Bucket), String(params.Key)));
  } catch (error) {
    throw new StatesError('States.ItemReaderFailed', `Could not read a JSON array from ${where}: ${(error as Error).message}`);
  }
  if (!Array.isArray(items)) throw new StatesError('States.ItemReaderFailed', `${where} does not contain a JSON array`);
  const maxItems = pathNumber(spec.reader.maxItemsPath, spec.reader.maxItems, input, context, 'ReaderConfig.MaxItemsPath');
  return maxItems ? (items as Json[]).slice(0, maxItems) : (items as Json[]);
}

/** Groups the selected items as ItemBatcher does: by count and by the child input's size. */
function batches(req: MapRunRequest, items: Json[]): Array<{ input: Json; items: number }> {
  const { spec, input, context } = req;
  if (!spec.batcher) return items.map((item) => ({ input: item, items: 1 }));
  const maxItems = pathNumber(spec.batcher.maxItemsPath, spec.batcher.maxItems, input, context, 'MaxItemsPerBatchPath') || Infinity;
  const maxBytes = pathNumber(spec.batcher.maxBytesPath, spec.batcher.maxBytes, input, context, 'MaxInputBytesPerBatchPath') || PAYLOAD_LIMIT;
  const batchInput = spec.batcher.batchInput === undefined ? undefined : (internals.processPayloadTemplate(spec.batcher.batchInput, input, context) as Json);
  const wrap = (list: Json[]): Json => (batchInput === undefined ? { Items: list } : { Items: list, BatchInput: batchInput });
  const base = size(wrap([]));
  const out: Array<{ input: Json; items: number }> = [];
  let current: Json[] = [];
  let bytes = base;
  for (const item of items) {
    const itemBytes = size(item) + (current.length ? 1 : 0);
    if (current.length && (current.length >= maxItems || bytes + itemBytes > maxBytes)) {
      out.push({ input: wrap(current), items: current.length });
      current = [];
      bytes = base;
    }
    bytes += size(item) + (current.length ? 1 : 0);
    current.push(item);
  }
  if (current.length) out.push({ input: wrap(current), items: current.length });
  return out;
}

/** A child as ResultWriter and an unwritten Map output describe it (AWS's DescribeExecution shape). */
function childRecord(child: ChildExecution): Record<string, unknown> {
  const succeeded = child.status === 'SUCCEEDED';
  return {
    ...(succeeded ? {} : { Cause: child.cause ?? '', Error: child.error ?? '' }),
    ExecutionArn: child.executionArn,
    Input: child.input,
    InputDetails: { Included: true },
    Name: child.name,
    ...(succeeded ? { Output: child.output, OutputDetails: { Included: true } } : {}),
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: `Execution is ${child.status} and cannot be redriven`,
    StartDate: child.startDate.toISOString(),
    StateMachineArn: child.stateMachineArn,
    Status: child.status,
    StopDate: child.stopDate?.toISOString(),
  };
}

/** JSON arrays of records, split so that no file passes `maxBytes`. */
function resultFiles(records: Array<Record<string, unknown>>, maxBytes: number): string[] {
  const files: string[] = [];
  let parts: string[] = [];
  let bytes = 2;
  for (const record of records) {
    const text = JSON.stringify(record);
    const n = Buffer.byteLength(text) + 1;
    if (parts.length && bytes + n > maxBytes) {
      files.push(`[${parts.join(',')}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(text);
    bytes += n;
  }
  if (parts.length) files.push(`[${parts.join(',')}]`);
  return files;
}

async function writeResults(req: MapRunRequest, mapRunArn: string, mapRunId: string, children: ChildExecution[]): Promise<Json> {
  const params = internals.processPayloadTemplate(req.spec.writer?.parameters ?? {}, req.input, req.context) as { Bucket?: unknown; Prefix?: unknown };
  const bucket = String(params.Bucket);
  const prefix = params.Prefix ? `${String(params.Prefix).replace(/\/+$/, '')}/` : '';
  if (!req.store) throw new StatesError('States.ResultWriterFailed', 'No S3 endpoint is configured for ResultWriter');
  const byStatus: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Array<{ Key: string; Size: number }>> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  try {
    for (const status of ['SUCCEEDED', 'FAILED', 'PENDING'] as const) {
      // Timed-out and aborted children are written with the failed ones, as in AWS.
      const group = children.filter((c) => (status === 'SUCCEEDED' ? c.status === 'SUCCEEDED' : status === 'PENDING' ? c.status === 'RUNNING' : c.status !== 'SUCCEEDED' && c.status !== 'RUNNING'));
      const files = resultFiles(group.map(childRecord), RESULT_FILE_MAX_BYTES);
      for (const [i, body] of files.entries()) {
        const key = `${prefix}${mapRunId}/${status}_${i}.json`;
        await req.store.putObject(bucket, key, body);
        byStatus[status].push({ Key: key, Size: Buffer.byteLength(body) });
      }
    }
    const manifestKey = `${prefix}${mapRunId}/manifest.json`;
    const manifest = { DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: byStatus };
    await req.store.putObject(bucket, manifestKey, JSON.stringify(manifest));
    return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
  } catch (error) {
    throw new StatesError('States.ResultWriterFailed', `Could not write the Map Run results to s3://${bucket}/${prefix}${mapRunId}/: ${(error as Error).message}`);
  }
}

/**
 * Runs a Distributed Map as AWS does: read the items (ItemReader or ItemsPath), select (ItemSelector with
 * $$.Map.Item), batch (ItemBatcher), start one child execution of the ItemProcessor per batch with at most
 * MaxConcurrency running, fail with States.ExceedToleratedFailureThreshold once more items failed than
 * tolerated, and write the children to S3 (ResultWriter) or return their outputs.
 */
export async function runDistributedMap(req: MapRunRequest): Promise<Json> {
  const { spec, input, context } = req;
  const started = Date.now();
  const mapRunId = randomUUID();
  const [, partition, , region, account, , stateMachineName] = req.parent.stateMachineArn.split(':');
  const label = spec.label ?? spec.stateName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
  const arn = (kind: string, rest: string) => `arn:${partition}:states:${region}:${account}:${kind}:${stateMachineName}/${label}:${rest}`;
  const mapRunArn = arn('mapRun', mapRunId);
  const childStateMachineArn = `arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineName}/${label}`;

  const selected = (await readItems(req)).map((item, index) =>
    spec.itemSelector === undefined ? item : (internals.processPayloadTemplate(spec.itemSelector, input, { ...context, Map: { Item: { Index: index, Value: item } } }) as Json));
  const work = batches(req, selected);
  const maxConcurrency = pathNumber(spec.maxConcurrencyPath, spec.maxConcurrency, input, context, 'MaxConcurrencyPath') || DEFAULT_MAX_CONCURRENCY;
  const toleratedPercentage = pathNumber(spec.toleratedFailurePercentagePath, spec.toleratedFailurePercentage, input, context, 'ToleratedFailurePercentagePath');
  const toleratedCount = pathNumber(spec.toleratedFailureCountPath, spec.toleratedFailureCount, input, context, 'ToleratedFailureCountPath');

  const counts = (): Counts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0 });
  const run: MapRun = {
    mapRunArn,
    executionArn: req.parent.executionArn,
    stateName: spec.stateName,
    status: 'RUNNING',
    startDate: new Date(started),
    maxConcurrency,
    toleratedFailurePercentage: toleratedPercentage ?? 0,
    toleratedFailureCount: toleratedCount ?? 0,
    itemCounts: { ...counts(), pending: selected.length, total: selected.length },
    executionCounts: { ...counts(), pending: work.length, total: work.length },
    executions: [],
  };
  req.registerMapRun(run);
  req.history.add('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn } });

  // Only the thresholds the state sets apply; with neither, one failed item fails the Map Run.
  const exceeded = () => {
    const failed = run.itemCounts.failed + run.itemCounts.timedOut + run.itemCounts.aborted;
    if (failed === 0) return false;
    if (toleratedPercentage === undefined && toleratedCount === undefined) return true;
    return (toleratedPercentage !== undefined && (failed / run.itemCounts.total) * 100 > toleratedPercentage)
      || (toleratedCount !== undefined && failed > toleratedCount);
  };

  const children: ChildExecution[] = new Array<ChildExecution>(work.length);
  let next = 0;
  let stop: 'threshold' | 'aborted' | undefined;
  const running = new Set<ChildExecution>();
  const onAbort = () => {
    stop ??= 'aborted';
    for (const child of running) child.abort();
  };
  req.abortSignal?.addEventListener('abort', onAbort);
  const worker = async () => {
    while (!stop && next < work.length) {
      const i = next++;
      const name = randomUUID();
      const child = req.startChild(work[i].input, {
        executionArn: arn(spec.executionType === 'EXPRESS' ? 'express' : 'execution', `${mapRunId}:${name}`),
        name,
        stateMachineArn: childStateMachineArn,
        stateMachineName: `${stateMachineName}/${label}`,
        mapRunArn,
      });
      children[i] = child;
      run.executions.push(child);
      running.add(child);
      run.executionCounts.pending--;
      run.executionCounts.running++;
      run.itemCounts.pending -= work[i].items;
      run.itemCounts.running += work[i].items;
      await child.done;
      running.delete(child);
      const bucket = ({ SUCCEEDED: 'succeeded', FAILED: 'failed', TIMED_OUT: 'timedOut', ABORTED: 'aborted' } as const)[child.status as 'SUCCEEDED'] ?? 'failed';
      run.executionCounts.running--;
      run.executionCounts[bucket]++;
      run.itemCounts.running -= work[i].items;
      run.itemCounts[bucket] += work[i].items;
      if (!stop && exceeded()) {
        stop = 'threshold';
        for (const other of running) other.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(maxConcurrency, work.length) }, worker));
  } finally {
    req.abortSignal?.removeEventListener('abort', onAbort);
  }
  const finished = children.filter(Boolean);

  const end = (status: MapRun['status'], event: string, error?: Error) => {
    run.status = status;
    run.stopDate = new Date();
    req.history.add(event, error ? { mapRunFailedEventDetails: { error: error.name, cause: error.message } } : {});
    const c = run.executionCounts;
    log('run', `${req.parent.name} ${spec.stateName}: map run ${status} with ${selected.length} items in ${work.length} child executions `
      + `(${c.succeeded} succeeded, ${c.failed + c.timedOut + c.aborted} not) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  };
  if (stop === 'aborted') {
    end('ABORTED', 'MapRunAborted');
    throw new StatesError('States.Aborted', 'The execution was aborted');
  }
  let output: Json;
  try {
    output = spec.writer
      ? await writeResults(req, mapRunArn, mapRunId, finished)
      : finished.map((child) => (child.status === 'SUCCEEDED' ? (JSON.parse(child.output ?? 'null') as Json) : (childRecord(child) as Json)));
    if (spec.writer) run.itemCounts.resultsWritten = run.itemCounts.succeeded + run.itemCounts.failed + run.itemCounts.timedOut + run.itemCounts.aborted;
  } catch (error) {
    end('FAILED', 'MapRunFailed', error as Error);
    throw error;
  }
  if (stop === 'threshold') {
    const failed = run.itemCounts.failed + run.itemCounts.timedOut + run.itemCounts.aborted;
    const error = new StatesError('States.ExceedToleratedFailureThreshold', `The specified tolerated failure threshold was exceeded: ${failed} of ${selected.length} items failed in map run ${mapRunArn}`);
    end('FAILED', 'MapRunFailed', error);
    throw error;
  }
  end('SUCCEEDED', 'MapRunSucceeded');
  return output;
}
