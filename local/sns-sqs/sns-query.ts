import { randomUUID } from 'node:crypto';

/** What the runtime's SNS does with a published message (local/sns-sqs/sns.ts). */
export interface SnsPublisher {
  has(topicArn: string): boolean;
  publish(input: { TopicArn: string; Message: string; Subject?: string }, source: string): { MessageId: string };
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * SNS's Publish in the AWS Query protocol (form-encoded request, XML answer), which the SDK's SNS client
 * speaks: a function that publishes an alert reaches the template's topic exactly as in AWS. Errors have
 * SNS's codes (InvalidParameter, NotFound) and a 400, never a 500 for a caller's mistake.
 */
export function snsQueryService(sns: SnsPublisher) {
  const error = (status: number, code: string, message: string) => ({
    status,
    body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  });
  return (form: URLSearchParams): { status: number; body: string } => {
    const action = form.get('Action');
    if (action !== 'Publish') return error(400, 'InvalidAction', `The action ${action ?? '(none)'} is not valid for this endpoint.`);
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    const message = form.get('Message');
    if (!topicArn) return error(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    if (message === null || message === '') return error(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    if (Buffer.byteLength(message) > 262_144) return error(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    const subject = form.get('Subject') ?? undefined;
    if (subject !== undefined && (subject.length > 100 || /[^\x20-\x7e]/.test(subject))) {
      return error(400, 'InvalidParameter', 'Invalid parameter: Subject');
    }
    if (!sns.has(topicArn)) return error(404, 'NotFound', 'Topic does not exist');
    const { MessageId } = sns.publish({ TopicArn: topicArn, Message: message, Subject: subject }, 'sns:Publish');
    return {
      status: 200,
      body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${MessageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  };
}
