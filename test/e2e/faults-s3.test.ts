// Scenarios: S3 PUTs for 2 of 6 accepted results fail always (500) -> store-result is retried (attempt count from the PUTs S3 saw), those 2 items end as `failed` in the summary and in ONE alert while the other 4 are stored; the same 2 keys failing once (503 SlowDown) -> everything stored, nothing failed, no alert.
import { GetExecutionHistoryCommand, HistoryEvent } from '@aws-sdk/client-sfn';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { FaultRuntime, findInDefinition, runToEnd, slackMessages, startFaultRuntime, stateMachineDefinition, waitFor } from './harness';

const ORDER_COUNT = 6;
const FAILING = [1, 3];
// The AWS SDK's standard retry mode makes 3 attempts per PutObject on a 5xx (InternalError, SlowDown) before store-result sees the error.
const SDK_ATTEMPTS = 3;
let runtime: FaultRuntime;

/** 1 + Retry.MaxAttempts for ResultStoreUnavailable on the inline Map's StoreResult task (small runs): how often it runs per item. */
function storeResultInvocations(): number {
  type Retrier = { ErrorEquals: string[]; MaxAttempts?: number };
  const [processor] = findInDefinition<{ States: Record<string, { Retry?: Retrier[] }> }>(
    stateMachineDefinition(),
    (v) => typeof v.States === 'object' && v.States !== null && 'StoreResult' in v.States,
  );
  const retry = processor?.States.StoreResult.Retry?.find((r) => r.ErrorEquals.includes('ResultStoreUnavailable'));
  if (!retry) throw new Error('no StoreResult task with a Retry for ResultStoreUnavailable in the state machine definition');
  return 1 + (retry.MaxAttempts ?? 3);
}

async function storedIndexes(name: string): Promise<number[]> {
  const listed = await runtime.s3.send(new ListObjectsV2Command({ Bucket: runtime.endpoints.bucketName }));
  return (listed.Contents ?? [])
    .map((o) => String(o.Key))
    .filter((k) => k.includes(`run=${name}/`))
    .map((k) => Number(/order-(\d+)\.json$/.exec(k)?.[1]))
    .sort((a, b) => a - b);
}

function putsFor(name: string, index: number) {
  return runtime.faults.s3Puts().filter((p) => new RegExp(`run=${name}/order-0*${index}\\.json$`).test(p.key));
}

async function statesEntered(executionArn: string): Promise<string[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
}

beforeAll(async () => {
  runtime = await startFaultRuntime({
    'fetch-results': { AUCTION_READY_PROBABILITY: '1', AUCTION_ORDER_COUNT: String(ORDER_COUNT), AUCTION_REJECTED_SHARE: '0', AUCTION_SEED: 'faults-s3' },
  });
});

afterEach(async () => {
  await runtime.faults.clear();
});

afterAll(async () => {
  await runtime?.stop();
});

it('retries the failing items, catches them as failed, stores the others and sends one alert listing them', async () => {
  const name = `faults-s3-always-${Date.now()}`;
  runtime.faults.failS3Puts({ keyPattern: new RegExp(`run=${name}/order-0*(${FAILING.join('|')})\\.json$`), times: 'always', status: 500 });

  const run = await runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, name);

  expect(run.status).toBe('SUCCEEDED');
  expect(JSON.parse(String(run.output))).toMatchObject({ total: ORDER_COUNT, stored: ORDER_COUNT - FAILING.length, rejected: 0, failed: FAILING.length });
  expect(await storedIndexes(name)).toEqual([0, 2, 4, 5]);
  const perKey = storeResultInvocations() * SDK_ATTEMPTS;
  for (const index of FAILING) {
    const puts = putsFor(name, index);
    expect(puts).toHaveLength(perKey);
    expect(puts.every((p) => p.status === 500)).toBe(true);
  }
  for (const index of [0, 2, 4, 5]) expect(putsFor(name, index).map((p) => p.status)).toEqual([200]);

  const alerts = await waitFor('the alert', async () => {
    const messages = (await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name));
    return messages.length > 0 ? messages : undefined;
  });
  expect(alerts).toHaveLength(1);
  const text = JSON.stringify(alerts[0].body);
  for (const index of FAILING) expect(text).toMatch(new RegExp(`#${index}\\b`));
  for (const index of [0, 2, 4, 5]) expect(text).not.toMatch(new RegExp(`#${index}\\b`));
  // The run published exactly one alert: its one SNS publish state ran once.
  expect((await statesEntered(run.executionArn!)).filter((s) => s === 'AlertFailedOrders')).toHaveLength(1);
});

it('stores everything when the same keys fail only once, and sends no alert', async () => {
  const name = `faults-s3-once-${Date.now()}`;
  runtime.faults.failS3Puts({ keyPattern: new RegExp(`run=${name}/order-0*(${FAILING.join('|')})\\.json$`), times: 1, status: 503 });

  const run = await runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, name);

  expect(run.status).toBe('SUCCEEDED');
  expect(JSON.parse(String(run.output))).toMatchObject({ total: ORDER_COUNT, stored: ORDER_COUNT, rejected: 0, failed: 0 });
  expect(await storedIndexes(name)).toEqual([0, 1, 2, 3, 4, 5]);
  for (const index of FAILING) expect(putsFor(name, index).map((p) => p.status)).toEqual([503, 200]);
  expect(await statesEntered(run.executionArn!)).not.toContain('AlertFailedOrders');
});
