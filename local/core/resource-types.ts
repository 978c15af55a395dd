import type { Template } from './assembly';

/** Types the local runtime runs or reads. */
export const EMULATED = new Set([
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::S3::Bucket',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::StepFunctions::StateMachine',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::Events::Rule',
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
]);

/**
 * Types accepted and ignored, each with the reason it does not change local behaviour. Anything not
 * listed here or in EMULATED stops the start with its name, so nothing is silently left out.
 */
export const IGNORED: Record<string, string> = {
  'AWS::IAM::Role': 'read by the IAM checks (local/iam), no service of its own',
  'AWS::IAM::Policy': 'read by the IAM checks (local/iam), no service of its own',
  'AWS::IAM::ManagedPolicy': 'read by the IAM checks (local/iam), no service of its own',
  'AWS::S3::BucketPolicy': 'read by the IAM checks (local/iam), no service of its own',
  'AWS::SNS::TopicPolicy': 'read by the IAM checks (local/iam), no service of its own',
  'AWS::SQS::QueuePolicy': 'read by the IAM checks (local/iam), no service of its own',
  'AWS::Lambda::Permission': 'read by the IAM checks (local/iam), no service of its own',
  'AWS::KMS::Key': 'encryption at rest is not emulated',
  'AWS::KMS::Alias': 'encryption at rest is not emulated',
  'AWS::Logs::LogGroup': 'function logs go to the console',
  'AWS::Logs::MetricFilter': 'no CloudWatch locally',
  'AWS::CloudWatch::Alarm': 'no CloudWatch metrics locally',
  'AWS::CloudWatch::CompositeAlarm': 'no CloudWatch metrics locally',
  'AWS::CloudWatch::Dashboard': 'no CloudWatch locally',
  'AWS::ApiGateway::Deployment': 'deployment plumbing',
  'AWS::ApiGateway::Account': 'API Gateway logging role',
  'AWS::CDK::Metadata': 'CDK metadata',
  'AWS::CloudFormation::CustomResource': 'custom resources do not run locally',
};

/** Fails with every unsupported resource type and the logical ids using it. */
export function checkResourceTypes(template: Template): void {
  const unknown = new Map<string, string[]>();
  for (const [id, res] of Object.entries(template.Resources)) {
    if (EMULATED.has(res.Type) || res.Type in IGNORED || res.Type.startsWith('Custom::')) continue;
    unknown.set(res.Type, [...(unknown.get(res.Type) ?? []), id]);
  }
  if (unknown.size) {
    const lines = [...unknown].map(([type, ids]) => `  - ${type} (${ids.join(', ')})`).join('\n');
    throw new Error(`The template uses resource types the local runtime does not support:\n${lines}`);
  }
}
