import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import { ACCOUNT, Resolver } from '../core/cfn-resolver';
import { AwsJsonError, AwsJsonService } from '../core/aws-json-server';

/** A message attribute as SQS carries it (the SDK's MessageAttributeValue, strings and numbers only). */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export interface QueueSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  /** Largest message (body and attributes) the queue takes: MaximumMessageSize, 262,144 bytes by default. */
  readonly maximumMessageSize: number;
  /** The queue's own RedrivePolicy: after maxReceiveCount receives a message moves to the target. */
  readonly redrive?: { readonly targetArn: string; readonly maxReceiveCount: number };
}

interface StoredMessage {
  readonly MessageId: string;
  readonly Body: string;
  readonly MD5OfBody: string;
  readonly MessageAttributes: Record<string, MessageAttribute>;
  readonly MD5OfMessageAttributes?: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Epoch ms before which the message is invisible (in flight after a receive). */
  visibleAt: number;
  receiptHandle?: string;
}

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** SQS's digest of message attributes: sorted by name, each name, type and value length-prefixed. */
function attributesMd5(attributes: Record<string, MessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const a = attributes[name];
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(a.DataType, 'utf8'));
    const binary = a.DataType.startsWith('Binary');
    parts.push(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(a.BinaryValue ?? '', 'base64') : Buffer.from(a.StringValue ?? '', 'utf8'));
  }
  return md5(Buffer.concat(parts));
}

/** The template's queues. FIFO queues fail the start: their ordering and deduplication are not emulated. */
export function readQueues(stack: StackAssembly, resolver: Resolver): QueueSpec[] {
  return resourcesOfType(stack.template, 'AWS::SQS::Queue').map(([id, res]) => {
    const p = resolver.resolve(res.Properties ?? {}) as Record<string, unknown>;
    if (p.FifoQueue === true || p.FifoQueue === 'true') throw new Error(`SQS queue ${id}: FIFO queues are not supported by the local runtime`);
    const redrive = p.RedrivePolicy as { deadLetterTargetArn?: string; maxReceiveCount?: number } | undefined;
    return {
      logicalId: id,
      name: resolver.physicalName(id),
      arn: resolver.getAtt(id, 'Arn'),
      visibilityTimeoutSeconds: Number(p.VisibilityTimeout ?? 30),
      maximumMessageSize: Number(p.MaximumMessageSize ?? 262_144),
      redrive: redrive?.deadLetterTargetArn ? { targetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount ?? 1) } : undefined,
    };
  });
}

/**
 * In-process SQS queues answering the AWS JSON 1.0 protocol (what @aws-sdk/client-sqs speaks): send,
 * receive with visibility timeout and long polling, delete, purge, attributes. With a directory, each
 * queue's messages are kept in `<dir>/<name>.json`, so dead letters survive a restart like the other data.
 */
export class LocalQueues {
  private readonly messages = new Map<string, StoredMessage[]>();
  private readonly waiters = new Set<() => void>();
  private readonly created = Math.floor(Date.now() / 1000);
  private closed = false;

  constructor(
    readonly queues: QueueSpec[],
    private readonly endpoint: string,
    private readonly directory?: string,
  ) {
    for (const q of queues) {
      const file = this.fileOf(q);
      this.messages.set(q.arn, file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoredMessage[]) : []);
      if (q.redrive && !queues.some((t) => t.arn === q.redrive?.targetArn)) {
        throw new Error(`SQS queue ${q.logicalId}: redrive target ${q.redrive.targetArn} is not a queue of the template`);
      }
    }
  }

  urlOf(queue: QueueSpec): string {
    return `${this.endpoint}/${ACCOUNT}/${queue.name}`;
  }

  /** By ARN, local or AWS-style URL, or name. */
  find(id: string): QueueSpec | undefined {
    const name = id.startsWith('arn:') ? id.split(':').pop() : id.split('/').pop();
    return this.queues.find((q) => q.arn === id || q.name === name);
  }

  send(queueId: string, body: string, attributes: Record<string, MessageAttribute> = {}): { MessageId: string; MD5OfMessageBody: string; MD5OfMessageAttributes?: string } {
    const queue = this.require(queueId);
    const message: StoredMessage = {
      MessageId: randomUUID(),
      Body: body,
      MD5OfBody: md5(Buffer.from(body, 'utf8')),
      MessageAttributes: attributes,
      MD5OfMessageAttributes: attributesMd5(attributes),
      sentAt: Date.now(),
      receiveCount: 0,
      visibleAt: 0,
    };
    this.list(queue).push(message);
    this.changed(queue);
    for (const wake of [...this.waiters]) wake();
    return { MessageId: message.MessageId, MD5OfMessageBody: message.MD5OfBody, MD5OfMessageAttributes: message.MD5OfMessageAttributes };
  }

  /** Visible and in-flight counts, as ApproximateNumberOfMessages(NotVisible). */
  count(queueId: string): { visible: number; inFlight: number } {
    const now = Date.now();
    const list = this.list(this.require(queueId));
    const visible = list.filter((m) => m.visibleAt <= now).length;
    return { visible, inFlight: list.length - visible };
  }

  /** Wakes long polls so a stopping runtime is not held open by them. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  service(): AwsJsonService {
    const queueOf = (input: Record<string, unknown>) => {
      const queue = this.find(String(input.QueueUrl ?? ''));
      if (!queue) throw new AwsJsonError('QueueDoesNotExist', 'The specified queue does not exist.');
      return queue;
    };
    return {
      targetPrefix: 'AmazonSQS',
      contentType: 'application/x-amz-json-1.0',
      operations: {
        ListQueues: (input) => ({
          QueueUrls: this.queues.filter((q) => q.name.startsWith(String(input.QueueNamePrefix ?? ''))).map((q) => this.urlOf(q)),
        }),
        GetQueueUrl: (input) => {
          const queue = this.queues.find((q) => q.name === input.QueueName);
          if (!queue) throw new AwsJsonError('QueueDoesNotExist', 'The specified queue does not exist.');
          return { QueueUrl: this.urlOf(queue) };
        },
        GetQueueAttributes: (input) => {
          const queue = queueOf(input);
          const { visible, inFlight } = this.count(queue.arn);
          const all: Record<string, string> = {
            QueueArn: queue.arn,
            ApproximateNumberOfMessages: String(visible),
            ApproximateNumberOfMessagesNotVisible: String(inFlight),
            ApproximateNumberOfMessagesDelayed: '0',
            VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
            MaximumMessageSize: String(queue.maximumMessageSize),
            CreatedTimestamp: String(this.created),
            LastModifiedTimestamp: String(this.created),
            ...(queue.redrive ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queue.redrive.targetArn, maxReceiveCount: queue.redrive.maxReceiveCount }) } : {}),
          };
          const wanted = (input.AttributeNames as string[] | undefined) ?? [];
          return { Attributes: wanted.includes('All') ? all : Object.fromEntries(wanted.filter((n) => n in all).map((n) => [n, all[n]])) };
        },
        SendMessage: (input) => {
          const queue = queueOf(input);
          if (typeof input.MessageBody !== 'string' || input.MessageBody === '') throw new AwsJsonError('MissingParameter', 'The request must contain the parameter MessageBody.');
          // AWS counts the body and every attribute's name, type and value against the queue's limit.
          const attributes = Object.entries((input.MessageAttributes as Record<string, MessageAttribute>) ?? {});
          const size = Buffer.byteLength(input.MessageBody) + attributes.reduce((n, [name, a]) => n + Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? a.BinaryValue ?? ''), 0);
          if (size > queue.maximumMessageSize) {
            throw new AwsJsonError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes.`);
          }
          return this.send(queue.arn, input.MessageBody, (input.MessageAttributes as Record<string, MessageAttribute>) ?? {});
        },
        ReceiveMessage: (input) => this.receive(queueOf(input), input),
        DeleteMessage: (input) => {
          const queue = queueOf(input);
          if (!this.remove(queue, String(input.ReceiptHandle))) throw new AwsJsonError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
          return {};
        },
        DeleteMessageBatch: (input) => {
          const queue = queueOf(input);
          const entries = (input.Entries as Array<{ Id: string; ReceiptHandle: string }>) ?? [];
          const ok = entries.filter((e) => this.remove(queue, e.ReceiptHandle));
          const failed = entries.filter((e) => !ok.includes(e));
          return {
            Successful: ok.map((e) => ({ Id: e.Id })),
            Failed: failed.map((e) => ({ Id: e.Id, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle is invalid.', SenderFault: true })),
          };
        },
        ChangeMessageVisibility: (input) => {
          const message = this.list(queueOf(input)).find((m) => m.receiptHandle === input.ReceiptHandle);
          if (!message) throw new AwsJsonError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
          message.visibleAt = Date.now() + Number(input.VisibilityTimeout ?? 0) * 1000;
          return {};
        },
        PurgeQueue: (input) => {
          const queue = queueOf(input);
          this.list(queue).length = 0;
          this.changed(queue);
          return {};
        },
      },
    };
  }

  private async receive(queue: QueueSpec, input: Record<string, unknown>) {
    const max = Math.min(10, Math.max(1, Number(input.MaxNumberOfMessages ?? 1)));
    const visibilityMs = Number(input.VisibilityTimeout ?? queue.visibilityTimeoutSeconds) * 1000;
    // Long polling: wait until a message arrives or WaitTimeSeconds (max 20) passes.
    const deadline = Date.now() + Math.min(20, Number(input.WaitTimeSeconds ?? 0)) * 1000;
    let batch = this.take(queue, max, visibilityMs);
    while (batch.length === 0 && Date.now() < deadline && !this.closed) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        // Also wake when an in-flight message becomes visible again.
        const timer = setTimeout(wake, Math.min(deadline - Date.now(), 250));
        this.waiters.add(wake);
      });
      batch = this.take(queue, max, visibilityMs);
    }
    const wantedAttributes = [...((input.AttributeNames as string[]) ?? []), ...((input.MessageSystemAttributeNames as string[]) ?? [])];
    const wantedMessageAttributes = (input.MessageAttributeNames as string[]) ?? [];
    return {
      Messages: batch.map((m) => {
        const system: Record<string, string> = {
          SenderId: ACCOUNT,
          SentTimestamp: String(m.sentAt),
          ApproximateReceiveCount: String(m.receiveCount),
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
        };
        const attributes = wantedAttributes.includes('All') ? system : Object.fromEntries(wantedAttributes.filter((n) => n in system).map((n) => [n, system[n]]));
        const all = wantedMessageAttributes.includes('All') || wantedMessageAttributes.includes('.*');
        const messageAttributes = Object.fromEntries(Object.entries(m.MessageAttributes).filter(([n]) => all || wantedMessageAttributes.includes(n)));
        return {
          MessageId: m.MessageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.MD5OfBody,
          Body: m.Body,
          ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
          ...(Object.keys(messageAttributes).length ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
        };
      }),
    };
  }

  private take(queue: QueueSpec, max: number, visibilityMs: number): StoredMessage[] {
    const now = Date.now();
    const list = this.list(queue);
    const out: StoredMessage[] = [];
    for (const m of [...list]) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (queue.redrive && m.receiveCount >= queue.redrive.maxReceiveCount) {
        // Received too often without being deleted: moves to the queue's own dead-letter queue.
        list.splice(list.indexOf(m), 1);
        this.list(this.require(queue.redrive.targetArn)).push({ ...m, visibleAt: 0, receiptHandle: undefined });
        this.changed(this.require(queue.redrive.targetArn));
        continue;
      }
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      m.visibleAt = now + visibilityMs;
      m.receiptHandle = randomUUID();
      out.push(m);
    }
    if (out.length) this.changed(queue);
    return out;
  }

  private remove(queue: QueueSpec, receiptHandle: string): boolean {
    const list = this.list(queue);
    const i = list.findIndex((m) => m.receiptHandle === receiptHandle);
    if (i < 0) return false;
    list.splice(i, 1);
    this.changed(queue);
    return true;
  }

  private require(id: string): QueueSpec {
    const queue = this.find(id);
    if (!queue) throw new AwsJsonError('QueueDoesNotExist', `The specified queue does not exist: ${id}`);
    return queue;
  }

  private list(queue: QueueSpec): StoredMessage[] {
    return this.messages.get(queue.arn) as StoredMessage[];
  }

  private fileOf(queue: QueueSpec): string | undefined {
    return this.directory ? join(this.directory, `${queue.name}.json`) : undefined;
  }

  private changed(queue: QueueSpec): void {
    const file = this.fileOf(queue);
    if (!file || !this.directory) return;
    mkdirSync(this.directory, { recursive: true });
    writeFileSync(file, JSON.stringify(this.list(queue)));
  }
}
