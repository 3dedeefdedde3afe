/**
 * Alarms, the alarm topic and the dashboard: what pages someone, and what they look at then.
 * Every alarm goes to one SNS topic whose e-mail subscribers come from configuration
 * (`-c alarmEmail=a@x,b@y` or cdk.json context); README "Operations" says what each alarm means
 * and what to do. The custom metrics are the EMF ones the functions emit (shared/metrics.ts),
 * by the names in shared/observability/names.ts.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PROVIDER_NAMES } from '../shared/domain/accounts';
import {
  MEASURED_PROVIDERS,
  METRIC,
  METRICS_NAMESPACE,
  OPERATION_DIMENSION,
  PROVIDER_METRICS,
  RAZORPAY_OPERATIONS,
  SERVICE_NAME,
} from '../shared/observability/names';
import type { AppFunction } from './function';

export const WEBHOOK_ROUTE_KEY = 'POST /webhooks/razorpay';

export interface ObservabilityProps {
  /** every function by its id in lib/routes.ts */
  functions: ReadonlyMap<string, AppFunction>;
  httpApi: HttpApi;
  /** the HTTP API stage name (route-level metrics are per stage) */
  stageName: string;
  deadLetterQueues: { webhook: IQueue; bulk: IQueue; imports: IQueue };
  /** e-mail addresses subscribed to the alarm topic (none: subscribe by hand) */
  alarmEmails: readonly string[];
  /** minutes between reconciliation runs: the period of the alarms fed by it */
  reconcileEveryMinutes: number;
}

/** One of the app's custom (EMF) metrics, with the service dimension Powertools adds. */
export function appMetric(
  metricName: string,
  statistic: string,
  period: Duration,
  extra: Record<string, string> = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...extra },
    statistic,
    period,
  });
}

interface AlarmSpec {
  id: string;
  description: string;
  metric: IMetric;
  threshold: number;
  evaluationPeriods?: number;
}

export class Observability extends Construct {
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const five = Duration.minutes(5);
    const reconcilePeriod = Duration.minutes(props.reconcileEveryMinutes);

    this.alarmTopic = new Topic(this, 'AlarmTopic', { enforceSSL: true });
    for (const email of props.alarmEmails) this.alarmTopic.addSubscription(new EmailSubscription(email));

    const webhookFn = props.functions.get('webhook');
    if (!webhookFn) throw new Error('lib/routes.ts declares no webhook route');
    const webhookRoute = { ApiId: props.httpApi.apiId, Stage: props.stageName, Route: WEBHOOK_ROUTE_KEY };
    const razorpay = (name: string) => appMetric(name, 'Sum', five);

    const specs: AlarmSpec[] = [
      ...(
        [
          ['WebhookDlq', props.deadLetterQueues.webhook],
          ['BulkDlq', props.deadLetterQueues.bulk],
          ['ImportDlq', props.deadLetterQueues.imports],
        ] as const
      ).map(([name, dlq]) => ({
        id: `${name}Alarm`,
        description: `A message is in the ${name}: inspect it, fix the cause, then replay (README, Operations)`,
        metric: dlq.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 1,
      })),
      {
        id: 'WebhookErrorsAlarm',
        description:
          'The webhook receiver is crashing: Razorpay will retry for 24 h, then disable the webhook',
        metric: webhookFn.metricErrors({ period: five, statistic: 'Sum' }),
        threshold: 1,
      },
      {
        id: 'Webhook5xxAlarm',
        description:
          'Webhook deliveries answered 5xx (not safely recorded and queued): Razorpay retries them',
        metric: props.httpApi
          .metricServerError({ period: five, statistic: 'Sum' })
          .with({ dimensionsMap: webhookRoute }),
        threshold: 3,
      },
      {
        id: 'WebhookUnauthorizedAlarm',
        description:
          'Webhook deliveries refused with 401 (bad signature): a secret mismatch after a rotation, or someone forging',
        metric: appMetric(METRIC.webhookSignatureRejected, 'Sum', five),
        threshold: 5,
      },
      {
        id: 'Api5xxAlarm',
        description: 'The API answers 5xx',
        metric: props.httpApi.metricServerError({ period: five, statistic: 'Sum' }),
        threshold: 5,
      },
      // one per provider: an EximPe outage must not hide in Razorpay's volume, nor the reverse
      ...MEASURED_PROVIDERS.map((provider) => ({
        id: `${PROVIDER_NAMES[provider]}ErrorRateAlarm`,
        description: `Over 20% of ${PROVIDER_NAMES[provider]} calls failed (no answer, 429, 5xx, refused credentials) in two 5-minute periods`,
        metric: new MathExpression({
          // at least 5 calls, so one failure at night does not page anyone
          expression: 'IF(calls >= 5, 100 * errors / calls, 0)',
          usingMetrics: {
            calls: razorpay(PROVIDER_METRICS[provider].calls),
            errors: razorpay(PROVIDER_METRICS[provider].errors),
          },
          label: `${PROVIDER_NAMES[provider]} error rate (%)`,
          period: five,
        }),
        threshold: 20,
        evaluationPeriods: 2,
      })),
      {
        id: 'BulkJobStalledAlarm',
        description:
          'A bulk job stopped making progress (the reconcile run re-enqueued its items or gave up)',
        metric: appMetric(METRIC.bulkJobsStalled, 'Sum', reconcilePeriod),
        threshold: 1,
      },
      {
        id: 'LambdaThrottlesAlarm',
        // account-wide on purpose: our functions share the region's concurrency with everything else
        description: 'Lambda is throttling in this account and region: functions are being refused',
        metric: new Metric({
          namespace: 'AWS/Lambda',
          metricName: 'Throttles',
          statistic: 'Sum',
          period: five,
        }),
        threshold: 1,
      },
      {
        id: 'ReconcileMissedWebhooksAlarm',
        description:
          'Reconciliation corrected links the webhooks never reported: check webhook delivery in Razorpay',
        metric: appMetric(METRIC.reconcileMissedByWebhooks, 'Sum', Duration.hours(1)),
        threshold: 3,
      },
    ];
    const action = new SnsAction(this.alarmTopic);
    for (const spec of specs) {
      const alarm = new Alarm(this, spec.id, {
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: spec.evaluationPeriods ?? 1,
        // no data (an idle queue, no webhook, no Razorpay call) means nothing is wrong
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }

    this.dashboard = this.buildDashboard(props, five);
  }

  private buildDashboard(props: ObservabilityProps, period: Duration): Dashboard {
    const sum = (name: string) => appMetric(name, 'Sum', period);
    const byOperation = (name: string, statistic: string) =>
      RAZORPAY_OPERATIONS.map((op) =>
        appMetric(name, statistic, period, { [OPERATION_DIMENSION]: op }).with({
          label: `${op} ${statistic}`,
        }),
      );
    const fns = [...props.functions.entries()];
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });
    const dashboard = new Dashboard(this, 'Dashboard', {
      // findable in the console by the stack's name (EmiLinks-<stage>-Api)
      dashboardName: Stack.of(this).stackName,
      defaultInterval: Duration.hours(6),
    });
    dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
    dashboard.addWidgets(
      graph('Payment links', [sum(METRIC.linksCreated), sum(METRIC.linksFailed)]),
      graph('Payments', [
        sum(METRIC.paymentsCredited),
        sum(METRIC.surplusesFlagged),
        sum(METRIC.refundsProcessed),
      ]),
      graph(
        'Webhooks: lag from Razorpay to applied (ms)',
        [appMetric(METRIC.webhookLag, 'p50', period), appMetric(METRIC.webhookLag, 'p99', period)],
        [sum(METRIC.webhookSignatureRejected)],
      ),
    );
    for (const provider of MEASURED_PROVIDERS) {
      const names = PROVIDER_METRICS[provider];
      dashboard.addWidgets(
        graph(`${PROVIDER_NAMES[provider]} latency by operation (ms)`, [
          ...byOperation(names.latency, 'p50'),
          ...byOperation(names.latency, 'p99'),
        ]),
        graph(`${PROVIDER_NAMES[provider]} calls and errors by operation`, byOperation(names.calls, 'Sum'), [
          ...byOperation(names.errors, 'Sum'),
        ]),
      );
    }
    dashboard.addWidgets(
      graph(
        'Bulk work',
        [sum(METRIC.bulkItemsProcessed)],
        [appMetric(METRIC.bulkItemsPerSecond, 'Average', period), sum(METRIC.bulkJobsStalled)],
      ),
    );
    dashboard.addWidgets(
      graph('Reconciliation: links the webhooks missed', [sum(METRIC.reconcileMissedByWebhooks)]),
      graph('Dead-letter queues', [
        props.deadLetterQueues.webhook.metricApproximateNumberOfMessagesVisible({
          period,
          label: 'webhook DLQ',
        }),
        props.deadLetterQueues.bulk.metricApproximateNumberOfMessagesVisible({ period, label: 'bulk DLQ' }),
      ]),
      graph('API 4xx / 5xx', [
        props.httpApi.metricClientError({ period, statistic: 'Sum' }),
        props.httpApi.metricServerError({ period, statistic: 'Sum' }),
      ]),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Lambda errors and throttles by function',
        left: fns.map(([id, fn]) => fn.metricErrors({ period, statistic: 'Sum', label: `${id} errors` })),
        right: fns.map(([id, fn]) =>
          fn.metricThrottles({ period, statistic: 'Sum', label: `${id} throttles` }),
        ),
        width: 24,
        height: 6,
      }),
    );
    return dashboard;
  }
}
