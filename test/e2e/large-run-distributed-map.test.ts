// Scenarios: the local Distributed Map on its own (in-memory S3): ItemReader + MaxItems, ItemSelector with $$.Map.Item, ItemBatcher by count and by bytes with BatchInput, output as the array of child outputs without ResultWriter; failed children within ToleratedFailurePercentage land in FAILED_0.json of the ResultWriter manifest; over the threshold the Map fails with States.ExceedToleratedFailureThreshold (caught by Catch); a missing items file is States.ItemReaderFailed; children are EXPRESS executions with their own history and ARNs under the map run.
import { setQuiet } from '../../local/core/log';
import { LocalStateMachine, type Execution, type ObjectStore } from '../../local/stepfunctions/state-machine';

const SM = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dmap';
const FN = 'arn:aws:lambda:eu-west-1:000000000000:function:item';

class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, string>();
  async getObject(bucket: string, key: string): Promise<string> {
    const body = this.objects.get(`${bucket}/${key}`);
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return body;
  }
  async putObject(bucket: string, key: string, body: string): Promise<void> {
    this.objects.set(`${bucket}/${key}`, body);
  }
  json<T>(key: string): T {
    return JSON.parse(String(this.objects.get(`b/${key}`))) as T;
  }
}

/** A Distributed Map over s3://b/items.json whose children sum their batch; items with `fail` make the child fail. */
function machine(store: MemoryStore, map: Record<string, unknown>): LocalStateMachine {
  return new LocalStateMachine(SM, 'dmap', {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'b', 'Key.$': '$.key' } },
        ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
          StartAt: 'Sum',
          States: { Sum: { Type: 'Task', Resource: FN, End: true } },
        },
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught', ResultPath: '$.error' }],
        ResultPath: '$.result',
        End: true,
        ...map,
      },
      Caught: { Type: 'Pass', End: true },
    },
  }, {
    timeScale: 0,
    onStatusChange: () => undefined,
    objectStore: store,
    taskHandler: () => async (input) => {
      const { Items, BatchInput } = input as { Items: Array<{ value: { n: number; fail?: boolean }; index: number }>; BatchInput?: unknown };
      if (Items.some((i) => i.value.fail)) throw Object.assign(new Error('bad item'), { name: 'ItemFailed' });
      return { sum: Items.reduce((s, i) => s + i.value.n, 0), first: Items[0].index, count: Items.length, batchInput: (BatchInput ?? null) as never };
    },
  });
}

async function run(sm: LocalStateMachine, input: unknown): Promise<Execution & { result: Record<string, unknown> }> {
  const execution = sm.start(JSON.stringify(input));
  await execution.done;
  return Object.assign(execution, { result: JSON.parse(execution.output ?? '{}') as Record<string, unknown> });
}

beforeAll(() => setQuiet(true));

it('reads, selects and batches items, and returns the child outputs in order without ResultWriter', async () => {
  const store = new MemoryStore();
  store.objects.set('b/items.json', JSON.stringify(Array.from({ length: 10 }, (_, n) => ({ n }))));
  const sm = machine(store, {
    ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON', MaxItems: 9 }, Parameters: { Bucket: 'b', 'Key.$': '$.key' } },
    ItemBatcher: { MaxItemsPerBatch: 4, BatchInput: { 'run.$': '$$.Execution.Name', fixed: 1 } },
    MaxConcurrency: 2,
  });

  const execution = await run(sm, { key: 'items.json' });

  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.result.result).toEqual([
    { sum: 6, first: 0, count: 4, batchInput: { run: execution.name, fixed: 1 } },
    { sum: 22, first: 4, count: 4, batchInput: { run: execution.name, fixed: 1 } },
    { sum: 8, first: 8, count: 1, batchInput: { run: execution.name, fixed: 1 } },
  ]);
  const [mapRun] = sm.mapRuns.values();
  expect(mapRun.executionCounts).toMatchObject({ total: 3, succeeded: 3 });
  expect(mapRun.itemCounts).toMatchObject({ total: 9, succeeded: 9 });
  const children = mapRun.executions as Execution[];
  expect(children.every((c) => c.type === 'EXPRESS' && c.mapRunArn === mapRun.mapRunArn)).toBe(true);
  expect(children[0].executionArn).toMatch(/^arn:aws:states:eu-west-1:000000000000:express:dmap\/Each:[0-9a-f-]+:[0-9a-f-]+$/);
  expect(children[0].history.map((e) => e.type)).toEqual([
    'ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited', 'ExecutionSucceeded',
  ]);
  expect(execution.history.map((e) => e.type)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
});

it('splits batches by MaxInputBytesPerBatch', async () => {
  const store = new MemoryStore();
  store.objects.set('b/items.json', JSON.stringify(Array.from({ length: 6 }, (_, n) => ({ n, pad: 'x'.repeat(100) }))));
  const sm = machine(store, { ItemBatcher: { MaxInputBytesPerBatch: 300 } });

  const execution = await run(sm, { key: 'items.json' });

  const counts = (execution.result.result as Array<{ count: number }>).map((r) => r.count);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
  expect(Math.max(...counts)).toBe(2);
  for (const child of [...sm.children.values()]) expect(Buffer.byteLength(child.input)).toBeLessThanOrEqual(300);
});

it('writes failed children within the tolerated percentage to FAILED_0.json and succeeds', async () => {
  const store = new MemoryStore();
  store.objects.set('b/items.json', JSON.stringify([{ n: 1 }, { n: 2, fail: true }, { n: 3 }, { n: 4 }]));
  const sm = machine(store, {
    ItemBatcher: { MaxItemsPerBatch: 1 },
    ToleratedFailurePercentage: 25,
    ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'out/' } },
  });

  const execution = await run(sm, { key: 'items.json' });

  expect(execution.status).toBe('SUCCEEDED');
  const [mapRun] = sm.mapRuns.values();
  const mapRunId = mapRun.mapRunArn.split(':').pop();
  expect(execution.result.result).toEqual({ MapRunArn: mapRun.mapRunArn, ResultWriterDetails: { Bucket: 'b', Key: `out/${mapRunId}/manifest.json` } });
  const manifest = store.json<{ DestinationBucket: string; ResultFiles: Record<string, Array<{ Key: string; Size: number }>> }>(`out/${mapRunId}/manifest.json`);
  expect(manifest.DestinationBucket).toBe('b');
  expect(manifest.ResultFiles.PENDING).toEqual([]);
  const failed = store.json<Array<Record<string, unknown>>>(manifest.ResultFiles.FAILED[0].Key);
  const succeeded = store.json<Array<Record<string, unknown>>>(manifest.ResultFiles.SUCCEEDED[0].Key);
  expect(manifest.ResultFiles.FAILED[0].Size).toBe(Buffer.byteLength(JSON.stringify(failed)));
  expect(failed).toEqual([expect.objectContaining({ Status: 'FAILED', Error: 'ItemFailed', Input: JSON.stringify({ Items: [{ value: { n: 2, fail: true }, index: 1 }] }) })]);
  expect(failed[0]).not.toHaveProperty('Output');
  expect(succeeded).toHaveLength(3);
  expect(succeeded.map((r) => JSON.parse(String(r.Output)).sum).sort()).toEqual([1, 3, 4]);
  expect(Object.keys(succeeded[0])).toEqual(expect.arrayContaining(['ExecutionArn', 'Input', 'InputDetails', 'Name', 'Output', 'OutputDetails', 'StartDate', 'StateMachineArn', 'Status', 'StopDate']));
});

it('fails the Map with States.ExceedToleratedFailureThreshold above the threshold, which Catch handles', async () => {
  const store = new MemoryStore();
  store.objects.set('b/items.json', JSON.stringify([{ n: 1, fail: true }, { n: 2, fail: true }, { n: 3 }, { n: 4 }]));
  const sm = machine(store, { ItemBatcher: { MaxItemsPerBatch: 1 }, ToleratedFailureCount: 1, MaxConcurrency: 1 });

  const execution = await run(sm, { key: 'items.json' });

  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.result.error).toMatchObject({ Error: 'States.ExceedToleratedFailureThreshold' });
  const [mapRun] = sm.mapRuns.values();
  expect(mapRun.status).toBe('FAILED');
  // With one child at a time the run stops at the second failure: the last two items never start.
  expect(mapRun.executionCounts).toMatchObject({ failed: 2, succeeded: 0 });
  expect(execution.history.map((e) => e.type)).toContain('MapRunFailed');
});

it('reports a missing items file as States.ItemReaderFailed', async () => {
  const sm = machine(new MemoryStore(), {});

  const execution = await run(sm, { key: 'missing.json' });

  expect(execution.result.error).toMatchObject({ Error: 'States.ItemReaderFailed' });
  expect(String((execution.result.error as { Cause: string }).Cause)).toContain('s3://b/missing.json');
});
