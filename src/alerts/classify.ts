// Turns the raw SNS message text into one of the alert kinds the topic carries. Publishers are other
// teams' code and AWS services, so nothing here trusts the shape: missing fields become undefined.

import type { FailedOrder, FailedOrdersAlert } from '../auctions/run';

export type { FailedOrdersAlert };

export interface ExecutionStatusAlert {
  readonly kind: 'execution-status';
  readonly name?: string;
  readonly status?: string;
  readonly executionArn?: string;
  readonly stateMachineArn?: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly error?: string;
  readonly cause?: string;
  readonly region?: string;
}

export interface PipelineFailedAlert {
  readonly kind: 'pipeline-failed';
  readonly pipeline?: string;
  readonly state?: string;
  readonly executionId?: string;
  readonly stage?: string;
  readonly action?: string;
  readonly region?: string;
  readonly time?: Date;
}

export interface AlarmAlert {
  readonly kind: 'alarm';
  readonly alarmName: string;
  readonly description?: string;
  readonly newState?: string;
  readonly oldState?: string;
  readonly reason?: string;
  readonly time?: Date;
  /** Display name such as "EU (Ireland)". */
  readonly region?: string;
  /** Region code from the alarm ARN, for console links. */
  readonly regionCode?: string;
  readonly alarmArn?: string;
  readonly metric?: string;
}

export interface GenericAlert {
  readonly kind: 'generic';
  readonly raw: string;
}

export type Alert = FailedOrdersAlert | ExecutionStatusAlert | PipelineFailedAlert | AlarmAlert | GenericAlert;

/** The parts of an SNS notification the renderer needs; no AWS types so this stays plain logic. */
export interface AlertEnvelope {
  readonly message: string;
  readonly subject?: string;
  readonly topicArn?: string;
  readonly messageId?: string;
  readonly timestamp?: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** Epoch milliseconds (Step Functions events) or an ISO string (EventBridge `time`, alarms). */
function date(value: unknown): Date | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** Region is the fourth field of an ARN. */
export function regionOf(arn: string | undefined): string | undefined {
  return arn?.split(':')[3] || undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function classifyAlert(envelope: AlertEnvelope): Alert {
  const body = parseJson(envelope.message);
  if (!isObject(body)) return { kind: 'generic', raw: envelope.message };
  if (body.kind === 'failed-orders') return failedOrders(body);
  const detailType = str(body['detail-type']);
  const detail = isObject(body.detail) ? body.detail : {};
  if (detailType === 'Step Functions Execution Status Change') return executionStatus(body, detail);
  if (body.source === 'aws.codepipeline' || detailType?.startsWith('CodePipeline')) return pipelineFailed(body, detail);
  if (typeof body.AlarmName === 'string' && body.NewStateValue !== undefined) return alarm(body);
  return { kind: 'generic', raw: envelope.message };
}

/** The run's alert (src/auctions/run.ts), read defensively: a field it lacks is shown as unknown. */
function failedOrders(body: Json): FailedOrdersAlert {
  const summary = isObject(body.summary) ? body.summary : {};
  const orders = Array.isArray(body.orders) ? body.orders.filter(isObject) : [];
  return {
    kind: 'failed-orders',
    stateMachineArn: str(body.stateMachineArn),
    summary: {
      auction_id: str(summary.auction_id) ?? 'unknown auction',
      execution_name: str(summary.execution_name) ?? 'unknown run',
      total: num(summary.total) ?? NaN,
      accepted: num(summary.accepted) ?? NaN,
      rejected: num(summary.rejected) ?? NaN,
      failed: num(summary.failed) ?? NaN,
    },
    orders: orders.map((order): FailedOrder => ({
      customer: str(order.customer) ?? '?',
      record_id: str(order.record_id) ?? '?',
      status: order.status === 'rejected' ? 'rejected' : 'failed',
      parameter_1: str(order.parameter_1) ?? '',
      parameter_2: str(order.parameter_2) ?? String(num(order.parameter_2) ?? ''),
      result: isObject(order.result) ? (order.result as FailedOrder['result']) : undefined,
      reason: str(order.reason),
    })),
    more: Math.max(0, num(body.more) ?? 0),
    full_list: str(body.full_list),
  };
}

function executionStatus(body: Json, detail: Json): ExecutionStatusAlert {
  const executionArn = str(detail.executionArn);
  return {
    kind: 'execution-status',
    name: str(detail.name),
    status: str(detail.status),
    executionArn,
    stateMachineArn: str(detail.stateMachineArn),
    startDate: date(detail.startDate),
    stopDate: date(detail.stopDate),
    error: str(detail.error),
    cause: str(detail.cause),
    region: str(body.region) ?? regionOf(executionArn),
  };
}

function pipelineFailed(body: Json, detail: Json): PipelineFailedAlert {
  return {
    kind: 'pipeline-failed',
    pipeline: str(detail.pipeline),
    state: str(detail.state),
    executionId: str(detail['execution-id']),
    stage: str(detail.stage),
    action: str(detail.action),
    region: str(body.region),
    time: date(body.time),
  };
}

function alarm(body: Json): AlarmAlert {
  const trigger = isObject(body.Trigger) ? body.Trigger : {};
  const metricName = str(trigger.MetricName);
  const namespace = str(trigger.Namespace);
  const alarmArn = str(body.AlarmArn);
  return {
    kind: 'alarm',
    alarmName: body.AlarmName as string,
    description: str(body.AlarmDescription),
    newState: str(body.NewStateValue),
    oldState: str(body.OldStateValue),
    reason: str(body.NewStateReason),
    time: date(body.StateChangeTime),
    // Region in alarm messages is a display name ("EU (Ireland)"); the ARN has the code the console needs.
    region: str(body.Region) ?? regionOf(alarmArn),
    regionCode: regionOf(alarmArn),
    alarmArn,
    metric: metricName === undefined ? undefined : namespace === undefined ? metricName : `${namespace} ${metricName}`,
  };
}
