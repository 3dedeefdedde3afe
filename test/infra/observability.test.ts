/**
 * Operability as synthesised: every function traced and configured for Powertools, the alarms
 * the README runbook describes (each to the one alarm topic), the topic's subscribers from
 * context, and a dashboard showing the app's metrics by the names the code emits.
 */
import { describe, expect, it } from 'vitest';
import { routes, workers } from '../../lib/routes';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/observability/names';
import { synthesize } from './support';

const app = synthesize();
const template = app.apiTemplate;
type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = template.toJSON()['Resources'] as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const topicRef = { Ref: app.logicalIdOf(app.api.alarmTopic) };

function alarm(id: string): Record<string, unknown> {
  const found = ofType('AWS::CloudWatch::Alarm').filter(([logicalId]) => logicalId.includes(id));
  expect(found, `one alarm ${id}`).toHaveLength(1);
  return found[0]![1].Properties;
}

describe('functions', () => {
  it.each([...routes, ...workers].map((def) => def.id))(
    'traces %s with X-Ray and configures Powertools from the environment',
    (id) => {
      expect(app.functionProps(id)['TracingConfig']).toEqual({ Mode: 'Active' });
      expect(app.envOf(id)).toMatchObject({
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: 'info',
      });
    },
  );
});

describe('alarms', () => {
  it.each([['WebhookDlq'], ['BulkDlq'], ['ImportDlq']])(
    'alarms as soon as one message is visible in the %s',
    (dlq) => {
      const props = alarm(`${dlq}Alarm`);
      expect(app.render((props['Dimensions'] as { Value: unknown }[])[0]!.Value)).toBe(`${dlq}.QueueName`);
      expect(props).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        EvaluationPeriods: 1,
      });
    },
  );

  it('alarms when the webhook receiver crashes', () => {
    const props = alarm('WebhookErrorsAlarm');
    expect(props).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1 });
    const [dimension] = props['Dimensions'] as { Value: unknown }[];
    expect(app.render(dimension!.Value)).toBe(`local:${app.logicalIdOf(app.api.functions.get('webhook')!)}`);
  });

  it('alarms on a burst of 5xx answers to webhook deliveries, on the webhook route only', () => {
    const props = alarm('Webhook5xxAlarm');
    expect(props).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 3 });
    expect(props['Dimensions']).toEqual(
      expect.arrayContaining([
        { Name: 'Route', Value: 'POST /webhooks/razorpay' },
        { Name: 'Stage', Value: '$default' },
      ]),
    );
  });

  it('alarms on a burst of 401s (bad signatures) from the receiver’s own metric', () => {
    expect(alarm('WebhookUnauthorizedAlarm')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.webhookSignatureRejected,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      Statistic: 'Sum',
      Threshold: 5,
    });
  });

  it('alarms on API 5xx', () => {
    expect(alarm('Api5xxAlarm')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Threshold: 5,
    });
  });

  it.each([
    ['RazorpayErrorRateAlarm', METRIC.razorpayCalls, METRIC.razorpayErrors],
    ['EximPeErrorRateAlarm', METRIC.eximpeCalls, METRIC.eximpeErrors],
  ])(
    'alarms on each provider’s error rate (%s), computed from its calls and errors, over two periods',
    (id, calls, errors) => {
      const props = alarm(id);
      expect(props).toMatchObject({ Threshold: 20, EvaluationPeriods: 2 });
      const metrics = props['Metrics'] as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Namespace: string } };
      }[];
      expect(metrics.find((m) => m.Expression)!.Expression).toBe('IF(calls >= 5, 100 * errors / calls, 0)');
      const inputs = metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!.Metric.MetricName]);
      expect(inputs.sort()).toEqual([
        ['calls', calls],
        ['errors', errors],
      ]);
    },
  );

  it('alarms when the stuck-job rescue finds a bulk job without progress, per reconcile period', () => {
    const reconcile = workers.find((w) => w.id === 'reconcile')!;
    expect(alarm('BulkJobStalledAlarm')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.bulkJobsStalled,
      Period: reconcile.everyMinutes! * 60,
      Threshold: 1,
    });
  });

  it('alarms on Lambda throttles', () => {
    expect(alarm('LambdaThrottlesAlarm')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Threshold: 1,
    });
  });

  it('alarms when reconciliation keeps finding links the webhooks missed', () => {
    expect(alarm('ReconcileMissedWebhooksAlarm')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.reconcileMissedByWebhooks,
      Period: 3600,
      Threshold: 3,
    });
  });

  it('sends every alarm, and nothing else, to the one alarm topic; no data is not an alarm', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(12); // the import DLQ's alarm and one error-rate alarm per provider included
    for (const [, a] of alarms) {
      expect(a.Properties['AlarmActions']).toEqual([topicRef]);
      expect(a.Properties).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(a.Properties['AlarmDescription']).toEqual(expect.any(String));
    }
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('alarm topic', () => {
  it('has no subscriber unless configured', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes the e-mail addresses given as alarmEmail context', () => {
    const configured = synthesize({ alarmEmail: 'oncall@example.com, lead@example.com' });
    const subscriptions = Object.values(
      configured.apiTemplate.toJSON()['Resources'] as Record<string, Resource>,
    ).filter((r) => r.Type === 'AWS::SNS::Subscription');
    expect(subscriptions.map((s) => [s.Properties['Protocol'], s.Properties['Endpoint']])).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'lead@example.com'],
    ]);
  });

  it('refuses an alarmEmail that is not an e-mail address, naming the setting', () => {
    expect(() => synthesize({ alarmEmail: 'oncall' })).toThrow(/alarmEmail/);
  });
});

describe('dashboard', () => {
  const dashboards = ofType('AWS::CloudWatch::Dashboard');
  const body = JSON.stringify(dashboards[0]?.[1].Properties['DashboardBody']);

  it('is one dashboard, named after the stack', () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]![1].Properties['DashboardName']).toBe('EmiLinks-dev-Api');
  });

  it.each(Object.values(METRIC))('graphs %s from the app namespace', (name) => {
    expect(body).toContain(`\\"${METRICS_NAMESPACE}\\",\\"${name}\\"`);
  });

  it('shows Razorpay latency per operation, the dead-letter queues and every alarm', () => {
    for (const op of ['create', 'fetch', 'list', 'cancel'])
      expect(body).toContain(`\\"operation\\",\\"${op}\\"`);
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('\\"alarms\\"');
  });
});
