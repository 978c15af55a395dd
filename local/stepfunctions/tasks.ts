import { randomUUID } from 'node:crypto';
import type { Caller, LocalIam } from '../iam/authorizer';
import { isFunctionArn, LocalFunctions } from '../lambda/functions';
import type { LocalSns } from '../sns-sqs/sns';
import type { TaskHandler } from './state-machine';

/** An error of the service a task calls (Lambda.AWSLambdaException, ...), its cause the service's message. */
class ServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** How the Java SDK Step Functions uses appends the status to a service error, as AWS shows it in the cause. */
const sdkCause = (message: string, service: string, status: number, code: string) =>
  `${message} (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;

/** Error a task throws for a Lambda function error: Step Functions matches Retry/Catch on its name. */
class TaskError extends Error {
  constructor(name: string, cause: unknown) {
    super(JSON.stringify(cause));
    this.name = name;
  }
}

/** The services a state machine's tasks reach. */
export interface TaskTargets {
  readonly iam: LocalIam;
  readonly lambda: LocalFunctions;
  readonly sns: LocalSns;
}

/**
 * The task handlers of one state machine, calling as its role (`caller`): Lambda ARNs, the lambda:invoke and
 * sns:publish integrations. Any other Resource fails the start.
 */
export function taskHandlers(targets: TaskTargets, caller: Caller | undefined) {
  const { iam, lambda, sns } = targets;
  const invokeTask = async (fnArn: string, payload: unknown) => {
    const fn = lambda.byArn(fnArn);
    if (!fn) throw new TaskError('Lambda.ResourceNotFoundException', { errorMessage: `Function not found: ${fnArn}` });
    const denied = iam.check(caller, [{ action: 'lambda:InvokeFunction', resource: fnArn.startsWith('arn:') ? fnArn : fn.spec.arn }], 'states');
    if (denied) throw new ServiceError('Lambda.AWSLambdaException', sdkCause(denied.message, 'AWSLambda', 403, 'AccessDeniedException'));
    const result = await fn.invoke(payload);
    if (!result.ok) throw new TaskError(result.error.errorType, result.error);
    return result.payload;
  };
  return (resource: string, stateName: string): TaskHandler => {
    if (isFunctionArn(resource)) {
      if (!lambda.byArn(resource)) throw new Error(`task resource ${resource} is not a function of the template`);
      return async (input) => (await invokeTask(resource, input)) as never;
    }
    if (resource === 'arn:aws:states:::lambda:invoke') {
      return async (input) => {
        const p = input as { FunctionName: string; Payload?: unknown };
        const payload = await invokeTask(p.FunctionName, p.Payload ?? {});
        return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } } as never;
      };
    }
    if (resource === 'arn:aws:states:::sns:publish') {
      return async (input) => {
        const denied = iam.check(caller, [{ action: 'sns:Publish', resource: String((input as { TopicArn?: unknown }).TopicArn) }], 'states');
        if (denied) throw new ServiceError('SNS.AuthorizationErrorException', sdkCause(denied.message.replace(/(perform: |the )sns:/g, '$1SNS:'), 'AmazonSNS', 403, 'AuthorizationError'));
        const out = sns.publish(input as never, `state ${stateName}`);
        return { ...out, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } } as never;
      };
    }
    throw new Error(`task resource ${resource} is not supported (Lambda ARNs, lambda:invoke and sns:publish are)`);
  };
}
