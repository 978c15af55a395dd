import { randomUUID } from 'node:crypto';
import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import type { Resolver } from '../core/cfn-resolver';
import type { LocalFunction } from '../lambda/runner';
import { log, warn } from '../core/log';

const MAX_MESSAGE_BYTES = 256 * 1024;

interface Subscription {
  readonly arn: string;
  readonly fn: LocalFunction;
  /** RedrivePolicy.deadLetterTargetArn: where SNS puts a message it could not deliver to the function. */
  readonly deadLetterArn?: string;
}

/** Sends an undeliverable message to a subscription's dead-letter queue; returns the queue's name. */
export type SnsDeadLetter = (queueArn: string, body: string) => string;

/** Why SNS may not invoke a subscribed function (no AWS::Lambda::Permission for sns.amazonaws.com), or undefined. */
export type SnsDeliveryCheck = (functionArn: string, topicArn: string) => string | undefined;

export interface PublishInput {
  readonly TopicArn?: string;
  readonly Message?: unknown;
  readonly Subject?: string;
  readonly MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
}

/**
 * SNS topics of the template and their Lambda subscriptions. Publishing invokes each subscribed
 * function asynchronously with an SNS event, as SNS does; other protocols are reported and skipped.
 */
export class LocalSns {
  private readonly topics = new Map<string, Subscription[]>();

  constructor(
    stack: StackAssembly,
    resolver: Resolver,
    functionByArn: (arn: string) => LocalFunction | undefined,
    private readonly deadLetter?: SnsDeadLetter,
    private readonly mayDeliver: SnsDeliveryCheck = () => undefined,
  ) {
    for (const [id] of resourcesOfType(stack.template, 'AWS::SNS::Topic')) this.topics.set(resolver.ref(id), []);
    for (const [id, sub] of resourcesOfType(stack.template, 'AWS::SNS::Subscription')) {
      const p = resolver.resolve(sub.Properties ?? {}) as Record<string, unknown>;
      const topicArn = String(p.TopicArn);
      const subscriptions = this.topics.get(topicArn);
      if (!subscriptions) throw new Error(`SNS subscription ${id} points at topic ${topicArn}, which is not in the template`);
      if (p.FilterPolicy) throw new Error(`SNS subscription ${id}: FilterPolicy is not supported by the local runtime`);
      if (p.Protocol !== 'lambda') {
        warn(`SNS subscription ${id} (${String(p.Protocol)} ${String(p.Endpoint)}) is not delivered locally`);
        continue;
      }
      const fn = functionByArn(String(p.Endpoint));
      if (!fn) throw new Error(`SNS subscription ${id}: endpoint ${String(p.Endpoint)} is not a function of the template`);
      const deadLetterArn = (p.RedrivePolicy as { deadLetterTargetArn?: string } | undefined)?.deadLetterTargetArn;
      subscriptions.push({ arn: `${topicArn}:${randomUUID()}`, fn, deadLetterArn });
    }
  }

  /** Every subscription's dead-letter queue, so the runtime can check at start that each exists. */
  get deadLetterTargets(): string[] {
    return [...this.topics.values()].flatMap((subs) => subs.flatMap((s) => (s.deadLetterArn ? [s.deadLetterArn] : [])));
  }

  has(topicArn: string): boolean {
    return this.topics.has(topicArn);
  }

  publish(input: PublishInput, source: string): { MessageId: string } {
    const topicArn = String(input.TopicArn);
    const subscriptions = this.topics.get(topicArn);
    if (!subscriptions) throw Object.assign(new Error(`Topic does not exist: ${topicArn}`), { name: 'SNS.NotFoundException' });
    const messageId = randomUUID();
    // Step Functions serialises a JSON Message parameter; SNS itself only carries strings.
    const message = typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message);
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      // SNS refuses messages over 256 KiB; Step Functions reports it under this error name.
      throw Object.assign(new Error(`Invalid parameter: Message too long (${Buffer.byteLength(message)} bytes, max ${MAX_MESSAGE_BYTES})`), {
        name: 'SNS.InvalidParameterException',
      });
    }
    const attributes: Record<string, { Type: string; Value?: string }> = {};
    for (const [k, v] of Object.entries(input.MessageAttributes ?? {})) attributes[k] = { Type: v.DataType, Value: v.StringValue };
    log('sns', `${topicArn.split(':').pop()} <- ${source}: ${input.Subject ?? message.slice(0, 120)} (${subscriptions.length} subscriber(s))`);
    const timestamp = new Date().toISOString();
    for (const sub of subscriptions) {
      const sns = {
        Type: 'Notification',
        MessageId: messageId,
        TopicArn: topicArn,
        Subject: input.Subject ?? null,
        Message: message,
        Timestamp: timestamp,
        SignatureVersion: '1',
        Signature: 'local',
        SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/local.pem',
        UnsubscribeUrl: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
        MessageAttributes: attributes,
      };
      const event = { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: sub.arn, Sns: sns }] };
      // Without the function's permission, SNS's deliveries fail as in AWS and end in the redrive policy.
      const denied = this.mayDeliver(sub.fn.spec.arn, topicArn);
      if (denied) warn(`sns: cannot invoke ${sub.fn.spec.label}: ${denied}`);
      else if (sub.fn.invokeAsync(event, `SNS ${topicArn.split(':').pop()}`)) continue;
      // Lambda refused the event (the local runtime is stopping): SNS's redrive policy keeps the message.
      if (sub.deadLetterArn && this.deadLetter) {
        warn(`sns: ${sub.fn.spec.label} did not get message ${messageId}; sent to the dead-letter queue ${this.deadLetter(sub.deadLetterArn, JSON.stringify(sns))}`);
      } else {
        warn(`sns: ${sub.fn.spec.label} did not get message ${messageId} and the subscription has no dead-letter queue: it is lost`);
      }
    }
    return { MessageId: messageId };
  }
}
