// Scenarios: in every stack of the synthesized app (Local, pipeline, account settings, Dev, Prod) every principal allowed or configured to use an encrypted topic, queue, bucket or table may use its KMS key (roles through the key policy's account delegation and their own policy, services through the key policy); each stack's encrypted resources are found; the checker flags a state machine that publishes with tasks.SnsPublish (sns:Publish without the key), a key policy without CloudWatch, a role whose key statement is gone, a service principal on an AWS-managed key, a queue key SNS may not use, and a key outside the template.
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { encryptedResources, kmsProblems } from './kms-check';
import { synthApp, type CfnResource, type Json } from './synth';

type Resources = Record<string, CfnResource>;

let assembly: CloudAssembly;
const resourcesOf = (path: string): Resources => {
  const stack = assembly.stacksRecursively.find((s) => s.hierarchicalId === path);
  if (!stack) throw new Error(`No stack ${path} in the assembly`);
  return stack.template.Resources as Resources;
};
const clone = (resources: Resources): Resources => JSON.parse(JSON.stringify(resources));
const idOf = (resources: Resources, type: string, test: (r: CfnResource) => boolean = () => true): string => {
  const ids = Object.entries(resources).filter(([, r]) => r.Type === type && test(r)).map(([id]) => id);
  if (ids.length !== 1) throw new Error(`Expected one ${type}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
};
type Stmt = { Principal?: { Service?: Json }; Action?: Json; Resource?: Json };

beforeAll(() => {
  assembly = synthApp();
});

test('every stack of the app is checked', () => {
  expect(assembly.stacksRecursively.map((s) => s.hierarchicalId).sort()).toEqual(
    ['Local/Auction', 'Pipeline', 'Pipeline/Account/Settings', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction']);
});

test.each(['Local/Auction', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction', 'Pipeline'])('%s: the alerts topic is encrypted with a key of the stack', (path) => {
  const resources = resourcesOf(path);
  expect(encryptedResources(resources).filter((e) => e.service === 'sns').map((e) => e.key.kind)).toEqual(['customer']);
});

test.each(['Local/Auction', 'Pipeline', 'Pipeline/Account/Settings', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction'])('%s: every principal of an encrypted resource may use its key', (path) => {
  expect(kmsProblems(resourcesOf(path), path)).toEqual([]);
});

describe('the checker', () => {
  test('flags a state machine that publishes to the encrypted topic with tasks.SnsPublish', () => {
    // Arrange: the topic as the Alerts construct builds it, and the publish task the run once used.
    const stack = new Stack(new App(), 'Planted');
    const key = new kms.Key(stack, 'Key');
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      key.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal(service)], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }));
    }
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
    new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new tasks.SnsPublish(stack, 'Alert', { topic, message: sfn.TaskInput.fromText('x') })),
    });
    const resources = (stack.node.root as App).synth().getStackByName('Planted').template.Resources as Resources;

    // Act
    const problems = kmsProblems(resources, 'planted');

    // Assert
    const role = idOf(resources, 'AWS::IAM::Role', (r) => JSON.stringify(r.Properties).includes('states.amazonaws.com'));
    expect(problems).toEqual([`planted: role ${role} may sns:Publish on ${idOf(resources, 'AWS::SNS::Topic')}, but not kms:GenerateDataKey, kms:Decrypt on its key ${idOf(resources, 'AWS::KMS::Key')}`]);
  });

  test('flags alarms when the key policy no longer names CloudWatch', () => {
    const resources = clone(resourcesOf('Pipeline/Dev/Auction'));
    const key = resources[idOf(resources, 'AWS::KMS::Key')];
    const policy = key.Properties!.KeyPolicy as { Statement: Stmt[] };
    for (const statement of policy.Statement.filter((s) => s.Principal?.Service !== undefined)) {
      statement.Principal!.Service = ([] as Json[]).concat(statement.Principal!.Service!).filter((service) => service !== 'cloudwatch.amazonaws.com');
    }

    expect(kmsProblems(resources, 'dev')).toEqual(expect.arrayContaining([expect.stringMatching(/^dev: cloudwatch\.amazonaws\.com may sns:Publish on \w+, but not kms:GenerateDataKey, kms:Decrypt on its key/)]));
  });

  test('flags the publishing function once its own policy loses the key', () => {
    const resources = clone(resourcesOf('Pipeline/Dev/Auction'));
    const keyId = idOf(resources, 'AWS::KMS::Key');
    for (const resource of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
      const document = resource.Properties!.PolicyDocument as { Statement: Stmt[] };
      document.Statement = document.Statement.filter((s) => JSON.stringify(s.Resource) !== JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] }));
    }

    const problems = kmsProblems(resources, 'dev');

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^dev: role AuctionRunFinalizeAuctionFunctionRole\w+ may sns:Publish on AlertsTopic\w+, but not kms:GenerateDataKey, kms:Decrypt/);
  });

  test('flags a service principal publishing to a topic on the AWS-managed SNS key', () => {
    const resources = clone(resourcesOf('Pipeline'));
    resources[idOf(resources, 'AWS::SNS::Topic')].Properties!.KmsMasterKeyId = 'alias/aws/sns';

    expect(kmsProblems(resources, 'pipeline')).toEqual([
      expect.stringMatching(/^pipeline: events\.amazonaws\.com may sns:Publish on \w+, but its key is the AWS-managed alias\/aws\/sns/),
      expect.stringMatching(/^pipeline: events\.amazonaws\.com may sns:Publish on \w+, but its key is the AWS-managed alias\/aws\/sns/),
    ]);
  });

  test('flags SNS delivering to a dead-letter queue whose key it may not use, and a key outside the template', () => {
    // Arrange: a subscription dead-letter queue on a customer key with the default key policy.
    const stack = new Stack(new App(), 'PlantedQueue');
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Dlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: new kms.Key(stack, 'QueueKey') });
    new sns.Subscription(stack, 'Sub', { topic, protocol: sns.SubscriptionProtocol.HTTPS, endpoint: 'https://example.com/hook', deadLetterQueue: queue });
    const resources = (stack.node.root as App).synth().getStackByName('PlantedQueue').template.Resources as Resources;

    // Act + Assert
    const problems = kmsProblems(resources, 'planted');
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^planted: sns\.amazonaws\.com may sqs:SendMessage on Dlq\w+, but not kms:GenerateDataKey, kms:Decrypt on its key QueueKey/)]));

    const elsewhere = clone(resources);
    elsewhere[idOf(elsewhere, 'AWS::SQS::Queue')].Properties!.KmsMasterKeyId = 'arn:aws:kms:eu-west-1:111111111111:key/other';
    expect(kmsProblems(elsewhere, 'planted')).toEqual(expect.arrayContaining([expect.stringMatching(/whose key arn:aws:kms:eu-west-1:111111111111:key\/other is not in this template/)]));
  });
});
