import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface MonitoringProps {
  readonly namePrefix: string;
  readonly alertsTopic: sns.ITopic;
  readonly api: apigw.RestApi;
  readonly functions: lambda.IFunction[];
  readonly stateMachine: sfn.IStateMachine;
}

/** Alarms on what customers and operations would notice (SPEC 2.7); each one alerts Slack. */
export class Monitoring extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);

    this.alarm('Api5xx', 'The orders API answered with server errors', props.api.metricServerError({ period, statistic: 'Sum' }), props);
    for (const fn of props.functions) {
      const name = fn.node.id.replace(/Function$/, '');
      this.alarm(`${name}Errors`, `${name} threw errors`, fn.metricErrors({ period, statistic: 'Sum' }), props);
    }
    this.alarm('RunsFailed', 'Results runs failed', props.stateMachine.metricFailed({ period, statistic: 'Sum' }), props);
    this.alarm('RunsTimedOut', 'Results runs timed out', props.stateMachine.metricTimedOut({ period, statistic: 'Sum' }), props);
  }

  private alarm(id: string, description: string, metric: cloudwatch.IMetric, props: MonitoringProps): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${props.namePrefix}-${id.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}`,
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(props.alertsTopic));
    this.alarms.push(alarm);
  }
}
