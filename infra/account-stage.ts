import { Aspects, Stage, StageProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { AccountSettingsStack } from './stacks/account-settings-stack';

/** The account-wide settings, deployed by the pipeline before the stages that rely on them. */
export class AccountStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps) {
    super(scope, id, props);
    new AccountSettingsStack(this, 'Settings', {
      stackName: 'energy-auction-account',
      description: 'Energy auction: settings that exist once per account and region',
    });
    Aspects.of(this).add(new AwsSolutionsChecks({ verbose: true }));
  }
}
