import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, Metric as FlowMetric, type MetricName } from '../lambdas/core/metrics.js';

export interface LoginFlowMonitoringProps {
  readonly functions: readonly IFunction[];
  /** Rejected callbacks per 5 minutes above which someone should look (forged links, a misconfigured provider). */
  readonly rejectedCallbacksThreshold: number;
  readonly alarmAction?: IAlarmAction;
}

const PERIOD = Duration.minutes(5);

/** Alarms on what users feel (errors, throttles, store faults) and on what attackers cause (rejected callbacks). */
export class LoginFlowMonitoring extends Construct {
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: LoginFlowMonitoringProps) {
    super(scope, id);
    for (const fn of props.functions) {
      const name = fn.node.id;
      this.addAlarm(`${name}-errors`, fn.metricErrors({ period: PERIOD }), 1, `${name}: function errors`, props.alarmAction);
      this.addAlarm(`${name}-throttles`, fn.metricThrottles({ period: PERIOD }), 1, `${name}: throttled invocations`, props.alarmAction);
    }
    this.addAlarm('store-faults', flowMetric(FlowMetric.storeFaults), 5, 'DynamoDB faults answered with 503', props.alarmAction);
    this.addAlarm('internal-errors', flowMetric(FlowMetric.internalErrors), 1, 'Unexpected errors answered with 500', props.alarmAction);
    this.addAlarm('failed-sign-ins', flowMetric(FlowMetric.signInsFailed), 5, 'Codes the provider did not redeem or whose ID token did not verify', props.alarmAction);
    this.addAlarm(
      'rejected-callbacks',
      flowMetric(FlowMetric.callbacksRejected),
      props.rejectedCallbacksThreshold,
      'A rise in rejected callbacks (replays, forged or expired responses)',
      props.alarmAction,
    );
  }

  private addAlarm(id: string, metric: IMetric, threshold: number, description: string, action: IAlarmAction | undefined): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (action !== undefined) alarm.addAlarmAction(action);
    this.alarms.push(alarm);
  }
}

/** The aggregate (dimensionless) series the functions emit through embedded metric format. */
function flowMetric(name: MetricName): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic: 'Sum', period: PERIOD });
}
