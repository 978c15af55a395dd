import { Aspects, CfnOutput, Stage, StageProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { StageConfig, validateStageConfig } from './config';
import { AuctionStack } from './stacks/auction-stack';

export interface AppStageProps extends StageProps {
  readonly config: StageConfig;
  /** The pipeline's alerts topic, when this stage's notifier relays it to Slack. @default - none */
  readonly relayTopicName?: string;
}

/** One deployable copy of the product (Local, Dev or Prod), checked by cdk-nag. */
export class AppStage extends Stage {
  public readonly apiUrl: CfnOutput;
  public readonly apiKeyId: CfnOutput;

  constructor(scope: Construct, id: string, props: AppStageProps) {
    super(scope, id, props);
    validateStageConfig(props.config);
    const stack = new AuctionStack(this, 'Auction', {
      stackName: props.config.prefix,
      description: `Energy auction order pipeline (${props.config.stageName})`,
      config: props.config,
      relayTopicName: props.relayTopicName,
    });
    this.apiUrl = stack.apiUrl;
    this.apiKeyId = stack.apiKeyId;
    // Aspects do not cross stage boundaries, so every stage adds the checks itself.
    Aspects.of(this).add(new AwsSolutionsChecks({ verbose: true }));
  }
}
