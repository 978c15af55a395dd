// Scenarios: the run's largest states stay below Step Functions' 256 KiB whatever the platform answers and however many orders fail, measured on worst cases through the real collectResults and the synthesized definition (Local and Prod): the inline answer plus the JSON text the array check adds, for plain, quote-heavy, multi-byte and few-but-huge results at the largest size that still travels inline; every Map iteration ends in a constant-size output and the failure's cause never leaves its iteration; one item plus the largest cause fits; the Distributed Map writes its children (failed ones with their input and cause) to S3 instead of its state, and bounds each child's input; the checker flags a Map that would carry its failures.
import type { Template } from 'aws-cdk-lib/assertions';
import { MAP_RESULTS_PREFIX, MAX_BATCH_INPUT_BYTES } from '../../infra/constructs/auction-run';
import { stages } from '../../infra/config';
import type { AuctionPlatform, ResultsAnswer } from '../../src/platform/platform';
import { collectResults, type FetchAnswer } from '../../src/results/collect-results';
import { resourcesOf, stateMachineDefinition, synthStage, type AslState, type Json } from './synth';

const STATE_LIMIT = 256 * 1024;
/** fetch-results' INLINE_BYTES (src/handlers/fetch-results.ts; pinned by test/unit/collect-results.test.ts). */
const FETCH_RESULTS_INLINE_BYTES = 100 * 1024;
/** Step Functions keeps at most this many characters of an error's cause; 3 bytes each at worst in UTF-8. */
const MAX_CAUSE_BYTES = 32_768 * 3;
/** What EventBridge's schedule hands the run: its largest possible input (a manual input is smaller). */
const SCHEDULE_EVENT = {
  version: '0', id: '00000000-0000-0000-0000-000000000000', 'detail-type': 'Scheduled Event', source: 'aws.events',
  account: '123456789012', time: '2026-12-01T21:00:00Z', region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/energy-auction-prod-AuctionRunSchedule0123456789-ABCDEFGHIJKL'], detail: {},
};

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** A platform answering one page of the given results. */
const platformOf = (orders: unknown[]): AuctionPlatform => ({
  submitBatch: async () => undefined,
  fetchResults: async () => ({ results: true, orders }) as ResultsAnswer,
});

/** The largest answer of `make(n)` that collectResults still keeps inline (the count limit or the bytes bind). */
async function largestInline(make: (n: number) => unknown[], inlineLimit: number): Promise<FetchAnswer & { orders: unknown[] }> {
  const inline = async (n: number) => collectResults(platformOf(make(n)), {
    auctionId: '2026-12-01T2100Z', executionName: 'x'.repeat(80), inlineLimit, inlineBytes: FETCH_RESULTS_INLINE_BYTES,
    destination: () => ({ bucket: 'b', store: { putJson: async () => undefined } }),
  });
  let low = 1;
  let high = inlineLimit;
  if (!('orders' in (await inline(low)))) throw new Error('not even one result stays inline');
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if ('orders' in (await inline(mid))) low = mid;
    else high = mid - 1;
  }
  return (await inline(low)) as FetchAnswer & { orders: unknown[] };
}

const customer = 'k7x2m9q4p1';
const RESULT_SHAPES: Record<string, (n: number) => unknown[]> = {
  plain: (n) => Array.from({ length: n }, (_, i) => ({ order_id: `${customer}:order-${i}`, status: i % 2 ? 'accepted' : 'rejected', cleared_volume: 12.5, clearing_price: 81.25, reason: i % 2 ? undefined : 'price limit' })),
  'quote-heavy ids': (n) => Array.from({ length: n }, (_, i) => ({ order_id: `${customer}:${String(i).padStart(6, '0')}${'"\\'.repeat(61)}`, status: 'rejected' })),
  'multi-byte ids': (n) => Array.from({ length: n }, (_, i) => ({ order_id: `${customer}:${i}${'⚡'.repeat(120)}`, status: 'accepted' })),
  'few huge results': (n) => Array.from({ length: n }, (_, i) => ({ order_id: `${customer}:${i}`, status: 'accepted', platform_notes: '"'.repeat(30_000) })),
};

describe.each(['Local', 'Prod'] as const)('%s', (stageName) => {
  let template: Template;
  let states: Record<string, AslState>;
  beforeAll(() => {
    ({ template } = synthStage(stageName));
    states = stateMachineDefinition(template).States;
  });

  test('the state after the array check is the input, run, poll, answer and the answer\'s JSON text, as modelled', () => {
    expect(states.CloseAuction.ResultPath).toBe('$.run');
    expect(states.SubmitOrders.ResultPath).toBe('$.run');
    expect(states.StartPolling.ResultPath).toBe('$.poll');
    expect(states.FetchResults.ResultPath).toBe('$.auction');
    expect(states.InspectOrders).toMatchObject({ ResultPath: '$.inspect', Parameters: { 'ordersJson.$': 'States.JsonToString($.auction.orders)' } });
  });

  test.each(Object.keys(RESULT_SHAPES))('%s results at the largest inline size fit the state, with room for a cause', async (shape) => {
    const answer = await largestInline(RESULT_SHAPES[shape], stages[stageName].results.inlineOrdersLimit);
    const state = {
      ...SCHEDULE_EVENT,
      run: { auction_id: '2026-12-01T2100Z', submitted: stages[stageName].results.inlineOrdersLimit * 100 },
      poll: { attempt: stages[stageName].results.maxPollAttempts },
      auction: answer,
      inspect: { ordersJson: JSON.stringify(answer.orders) },
    };
    expect(bytes(state)).toBeLessThan(STATE_LIMIT);
    // One item of it, failed, in its own iteration: the item plus the Catch's cause.
    const largestItem = Math.max(...answer.orders.map(bytes));
    expect(largestItem + MAX_CAUSE_BYTES + 1024).toBeLessThan(STATE_LIMIT);
  });

  test('every Map iteration ends in a constant-size output, so the Map\'s result grows by a few bytes per order', () => {
    const limits: Record<string, number> = { StoreEachResult: stages[stageName].results.inlineOrdersLimit, StoreBatchResults: stages[stageName].results.batchSize };
    for (const [mapName, items] of Object.entries(limits)) {
      const map = findState(states, mapName);
      const outputs = iterationOutputBounds(map.ItemProcessor.States);
      expect(outputs.problems).toEqual([]);
      expect(items * (outputs.maxBytes + 1)).toBeLessThan(STATE_LIMIT / 4);
    }
  });

  test('a failure\'s cause stays in its iteration: recording it passes on the error name only', () => {
    for (const name of ['RecordFailure', 'BatchRecordFailure']) {
      const record = findState(states, name);
      expect(record.Parameters.failure).toEqual({ 'Error.$': '$.failure.Error' });
      expect(JSON.stringify(record.Parameters)).not.toContain('Cause');
    }
  });

  test('the Distributed Map writes its children to S3 and bounds each child\'s input', () => {
    const map = states.StoreEachResultFromS3;
    expect(map.ResultWriter).toEqual({ Resource: expect.stringMatching(/^arn:.*:states:::s3:putObject$/), Parameters: { Bucket: expect.anything(), Prefix: MAP_RESULTS_PREFIX } });
    expect(map.ResultPath).toBeNull();
    expect(map.ItemBatcher.MaxInputBytesPerBatch).toBe(MAX_BATCH_INPUT_BYTES);
    // A child's largest item, failed, still fits its iteration's state with the largest cause.
    expect(MAX_BATCH_INPUT_BYTES + MAX_CAUSE_BYTES + 4096).toBeLessThan(STATE_LIMIT);
    expect(MAP_RESULTS_PREFIX.startsWith('runs/')).toBe(true);
  });

  test('the state machine may write the Map\'s results under their prefix only', () => {
    const statements = resourcesOf(template, 'AWS::IAM::Policy')
      .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Array<{ Action: Json; Resource: Json }> }).Statement);
    const writes = statements.filter((s) => ([] as Json[]).concat(s.Action).includes('s3:PutObject') && JSON.stringify(s.Resource).includes(MAP_RESULTS_PREFIX));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0].Resource)).toMatch(new RegExp(`/${MAP_RESULTS_PREFIX}/\\*"`));
  });
});

describe('the checker', () => {
  test('flags an iteration that ends by passing its input (and its cause) on', () => {
    const planted = {
      Store: { Type: 'Task', Resource: 'arn', Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Keep' }], ResultSelector: { 'status.$': '$.status' }, End: true },
      Keep: { Type: 'Pass', End: true },
    };
    expect(iterationOutputBounds(planted).problems).toEqual(['Keep ends the iteration with its input or an unbounded output']);
  });
});

/** A state anywhere in the definition, Map item processors included. */
function findState(states: Record<string, AslState>, name: string): AslState {
  for (const [key, state] of Object.entries(states)) {
    if (key === name) return state;
    const inner = state.ItemProcessor?.States ?? state.Iterator?.States;
    if (inner) {
      try {
        return findState(inner, name);
      } catch {
        // not in this Map
      }
    }
  }
  throw new Error(`No state ${name}`);
}

/**
 * The largest output of an iteration: every End state must answer a fixed object (a Pass `Result`, or a
 * Task `ResultSelector` of `status`), never its input, which holds the item and any caught cause.
 */
function iterationOutputBounds(states: Record<string, AslState>): { maxBytes: number; problems: string[] } {
  const problems: string[] = [];
  let maxBytes = 0;
  for (const [name, state] of Object.entries(states)) {
    if (!state.End) continue;
    if (state.Type === 'Pass' && state.Result !== undefined && state.ResultPath === undefined) {
      maxBytes = Math.max(maxBytes, bytes(state.Result));
    } else if (state.Type === 'Task' && JSON.stringify(state.ResultSelector) === JSON.stringify({ 'status.$': '$.status' }) && state.ResultPath === undefined) {
      maxBytes = Math.max(maxBytes, bytes({ status: 'unrecorded' }));
    } else if (state.Type === 'Map' && state.ResultPath === null && state.ItemProcessor) {
      // A nested Map that discards its results answers its input: a batch, bounded by the ItemBatcher.
    } else {
      problems.push(`${name} ends the iteration with its input or an unbounded output`);
    }
  }
  return { maxBytes, problems };
}
