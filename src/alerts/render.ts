import {
  codeBlock,
  context,
  escapeMrkdwn,
  fields,
  header,
  link,
  message,
  section,
  sectionsFromLines,
  truncate,
  type SlackMessage,
} from './blocks';
import {
  classifyAlert,
  regionOf,
  type AlarmAlert,
  type Alert,
  type AlertEnvelope,
  type ExecutionStatusAlert,
  type FailedOrdersAlert,
  type GenericAlert,
  type PipelineFailedAlert,
} from './classify';
import type { FailedOrder } from '../auctions/run';

/** Failure lines listed in one message; the rest are counted ("and N more"). */
export const MAX_FAILURE_LINES = 20;
const MAX_LINE_LENGTH = 280;
const MAX_CAUSE_LENGTH = 1500;
const MAX_RAW_LENGTH = 2500;

/**
 * One readable Slack message per SNS notification. Rendering must never be why an alert is lost, so any
 * surprise while rendering a known kind falls back to the generic message with the raw text.
 */
export function renderAlert(envelope: AlertEnvelope): { kind: Alert['kind']; message: SlackMessage } {
  try {
    const alert = classifyAlert(envelope);
    return { kind: alert.kind, message: renderKnown(alert, envelope) };
  } catch {
    return { kind: 'generic', message: renderGeneric({ kind: 'generic', raw: envelope.message }, envelope) };
  }
}

function renderKnown(alert: Alert, envelope: AlertEnvelope): SlackMessage {
  switch (alert.kind) {
    case 'failed-orders':
      return renderFailedOrders(alert);
    case 'execution-status':
      return renderExecutionStatus(alert);
    case 'pipeline-failed':
      return renderPipelineFailed(alert);
    case 'alarm':
      return renderAlarm(alert);
    case 'generic':
      return renderGeneric(alert, envelope);
  }
}

/** Step Functions puts Lambda errors in `cause` as JSON; the errorMessage is the readable part. */
export function readableCause(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: show as is.
  }
  return cause;
}

function executionConsoleUrl(executionArn: string | undefined): string | undefined {
  const region = regionOf(executionArn);
  if (executionArn === undefined || region === undefined) return undefined;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** arn:aws:states:region:account:stateMachine:name -> arn:aws:states:region:account:execution:name:run */
function executionArnOf(stateMachineArn: string | undefined, executionName: string | undefined): string | undefined {
  const parts = stateMachineArn?.split(':');
  if (parts === undefined || parts.length < 7 || parts[5] !== 'stateMachine' || executionName === undefined) return undefined;
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}

const nameFromArn = (arn: string | undefined): string | undefined => arn?.split(':').pop() || undefined;

function formatTime(time: Date | undefined): string | undefined {
  return time === undefined ? undefined : `${time.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

function formatDuration(start: Date | undefined, stop: Date | undefined): string | undefined {
  if (start === undefined || stop === undefined) return undefined;
  const seconds = Math.max(0, Math.round((stop.getTime() - start.getTime()) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

const known = (n: number) => (Number.isFinite(n) ? n : '?');

/** "2 rejected orders", "2 rejected and 1 failed orders": rejected is the auction's answer, failed is ours. */
function notStoredLabel(summary: FailedOrdersAlert['summary'], listed: number): string {
  const counts = ([[summary.rejected, 'rejected'], [summary.failed, 'failed']] as const).filter(([count]) => count > 0);
  const total = counts.reduce((sum, [count]) => sum + count, 0);
  if (total === 0) return `${listed} order${listed === 1 ? '' : 's'} not accepted`;
  return `${counts.map(([count, word]) => `${count} ${word}`).join(' and ')} order${total === 1 ? '' : 's'}`;
}

/** What the platform said, in a few words: its reason, or the figures it gave. */
function platformAnswer(result: FailedOrder['result']): string | undefined {
  if (!result) return undefined;
  const { order_id: _id, status: _status, ...rest } = result;
  const text = Object.entries(rest).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
  return text === '' ? undefined : `platform: ${text}`;
}

function renderFailedOrders(alert: FailedOrdersAlert): SlackMessage {
  const { summary } = alert;
  const title = `${notStoredLabel(summary, alert.orders.length + alert.more)} in auction ${summary.auction_id}`;

  const shown = alert.orders.slice(0, MAX_FAILURE_LINES);
  const lines = shown.map((order) => {
    const parts = [
      `*${order.record_id}* (${order.customer}) ${order.status}`,
      `parameter_1 ${JSON.stringify(order.parameter_1)}, parameter_2 ${order.parameter_2}`,
      order.reason === undefined ? undefined : `\`${order.reason}\``,
      platformAnswer(order.result),
    ].filter((part): part is string => part !== undefined);
    // Escape before truncating would split entities; truncate the raw text first.
    return `• ${escapeMrkdwn(truncate(parts.join(' — '), MAX_LINE_LENGTH))}`;
  });
  const more = alert.orders.length - shown.length + alert.more;
  if (more > 0) lines.push(`_…and ${more} more_`);
  if (lines.length === 0) lines.push('_No order details were included in the alert._');

  const executionUrl = executionConsoleUrl(executionArnOf(alert.stateMachineArn, summary.execution_name));
  return message(`:rotating_light: ${title} (accepted ${known(summary.accepted)} of ${known(summary.total)})`, [
    header(`:rotating_light: ${title}`),
    fields([
      ['Auction', summary.auction_id],
      ['Run', summary.execution_name],
      ['Total', known(summary.total)],
      ['Accepted', known(summary.accepted)],
      ['Rejected', known(summary.rejected)],
      ['Failed', known(summary.failed)],
    ]),
    ...sectionsFromLines(lines),
    context([
      executionUrl === undefined ? '' : link(executionUrl, 'Open execution in the Step Functions console'),
      alert.full_list === undefined ? '' : `Full list: \`${escapeMrkdwn(alert.full_list)}\``,
    ]),
  ]);
}

const STATUS_EMOJI: Record<string, string> = { FAILED: ':x:', TIMED_OUT: ':hourglass:', ABORTED: ':no_entry_sign:' };

function renderExecutionStatus(alert: ExecutionStatusAlert): SlackMessage {
  const status = alert.status ?? 'UNKNOWN';
  const emoji = STATUS_EMOJI[status] ?? ':warning:';
  // The execution ARN also names the state machine (arn:...:execution:<machine>:<run>) when the event omits it.
  const machine = nameFromArn(alert.stateMachineArn) ?? alert.executionArn?.split(':')[6];
  const title = `Execution ${status}: ${alert.name ?? 'unknown'}`;
  const cause = readableCause(alert.cause);
  const url = executionConsoleUrl(alert.executionArn);
  return message(`${emoji} ${title}${machine === undefined ? '' : ` (${machine})`}${alert.error ? ` — ${alert.error}` : ''}`, [
    header(`${emoji} ${title}`),
    fields([
      ['State machine', machine],
      ['Status', status],
      ['Started', formatTime(alert.startDate)],
      ['Stopped', formatTime(alert.stopDate)],
      ['Duration', formatDuration(alert.startDate, alert.stopDate)],
      ['Error', alert.error],
    ]),
    cause === undefined ? undefined : section(`*Cause*\n${codeBlock(cause, MAX_CAUSE_LENGTH)}`),
    context([url === undefined ? '' : link(url, 'Open execution in the Step Functions console'), alert.region ?? '']),
  ]);
}

function renderPipelineFailed(alert: PipelineFailedAlert): SlackMessage {
  const pipeline = alert.pipeline ?? 'unknown pipeline';
  const state = alert.state ?? 'FAILED';
  const title = `Deployment pipeline ${pipeline} ${state}`;
  const url =
    alert.region === undefined || alert.pipeline === undefined
      ? undefined
      : `https://${alert.region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${encodeURIComponent(alert.pipeline)}/` +
        (alert.executionId === undefined ? 'view' : `executions/${alert.executionId}/timeline`) +
        `?region=${alert.region}`;
  return message(`:construction: ${title}`, [
    header(`:construction: ${title}`),
    fields([
      ['Pipeline', alert.pipeline],
      ['State', state],
      ['Stage', alert.stage],
      ['Action', alert.action],
      ['Execution', alert.executionId],
      ['Time', formatTime(alert.time)],
    ]),
    context([url === undefined ? '' : link(url, 'Open the pipeline execution'), alert.region ?? '']),
  ]);
}

function renderAlarm(alert: AlarmAlert): SlackMessage {
  const state = alert.newState ?? 'UNKNOWN';
  const emoji = state === 'ALARM' ? ':rotating_light:' : state === 'OK' ? ':white_check_mark:' : ':grey_question:';
  const title = `${state}: ${alert.alarmName}`;
  const url =
    alert.regionCode === undefined
      ? undefined
      : `https://${alert.regionCode}.console.aws.amazon.com/cloudwatch/home?region=${alert.regionCode}#alarmsV2:alarm/${encodeURIComponent(alert.alarmName)}`;
  return message(`${emoji} ${title}${alert.reason ? ` — ${alert.reason}` : ''}`, [
    header(`${emoji} ${title}`),
    alert.description === undefined ? undefined : section(escapeMrkdwn(alert.description)),
    fields([
      ['State', alert.oldState === undefined ? state : `${alert.oldState} → ${state}`],
      ['Metric', alert.metric],
      ['Region', alert.region],
      ['Since', formatTime(alert.time)],
    ]),
    alert.reason === undefined ? undefined : section(`*Reason*\n${escapeMrkdwn(alert.reason)}`),
    context([url === undefined ? '' : link(url, 'Open the alarm in CloudWatch')]),
  ]);
}

function renderGeneric(alert: GenericAlert, envelope: AlertEnvelope): SlackMessage {
  const title = envelope.subject ?? 'Alert';
  return message(`:information_source: ${title}: ${truncate(alert.raw, 200)}`, [
    header(`:information_source: ${title}`),
    section(alert.raw.trim() === '' ? '_(empty message)_' : codeBlock(alert.raw, MAX_RAW_LENGTH)),
    context([
      envelope.topicArn === undefined ? '' : `Topic: ${escapeMrkdwn(nameFromArn(envelope.topicArn) ?? envelope.topicArn)}`,
      envelope.messageId === undefined ? '' : `Message id: ${escapeMrkdwn(envelope.messageId)}`,
    ]),
  ]);
}
