/**
 * The API stack: one route and one function per entry of lib/routes.ts, the house function
 * defaults, queue consumers and the reconcile schedule (alarms: observability.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { routeKeyOf, routes, workers } from '../../lib/routes';
import { synthesize } from './support';

const app = synthesize();
const template = app.apiTemplate;
const resources = template.toJSON()['Resources'] as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functionId = (id: string) => app.logicalIdOf(app.api.functions.get(id)!);
const allDefs = [...routes, ...workers];

describe('routes', () => {
  it('creates one route per routes entry and no other', () => {
    const keys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties['RouteKey']);
    expect(keys.sort()).toEqual(routes.map(routeKeyOf).sort());
  });

  it.each(routes.map((route) => [routeKeyOf(route), route.id]))(
    'sends %s to the %s function',
    (routeKey, id) => {
      const [, route] = ofType('AWS::ApiGatewayV2::Route').find(
        ([, r]) => r.Properties['RouteKey'] === routeKey,
      )!;
      const target = app.render(route.Properties['Target']);
      const integration = resources[target.replace('integrations/local:', '')]!;
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionId(id), 'Arn'] },
      });
    },
  );

  it('serves the $default stage with throttling, so overload answers 429', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
    });
  });

  it('has no CORS configuration: the page is served from the same origin', () => {
    const apis = ofType('AWS::ApiGatewayV2::Api');
    expect(apis).toHaveLength(1);
    expect(apis[0]![1].Properties['CorsConfiguration']).toBeUndefined();
  });

  it('outputs the API URL and the alarm topic', () => {
    expect(Object.keys(template.toJSON()['Outputs']).sort()).toEqual(['AlarmTopicArn', 'ApiUrl']);
  });
});

describe('functions', () => {
  it('creates one function per route and worker', () => {
    template.resourceCountIs('AWS::Lambda::Function', allDefs.length);
  });

  it.each(allDefs.map((def) => [def.id, def] as const))(
    'runs %s on Node.js 24 arm64 with its timeout and memory, ESM bundle, no source-map start-up cost',
    (id, def) => {
      expect(app.functionProps(id)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: def.timeoutSeconds ?? 10,
        MemorySize: def.memoryMb ?? 512,
      });
      expect(app.envOf(id)['NODE_OPTIONS']).toBeUndefined();
      expect(app.functionProps(id)['FunctionName']).toBeUndefined();
    },
  );

  it('gives each function its own log group, kept one month and deleted with it', () => {
    for (const def of allDefs) {
      const logGroup = app.render(
        (app.functionProps(def.id)['LoggingConfig'] as { LogGroup: unknown }).LogGroup,
      );
      const resource = template.toJSON()['Resources'][logGroup.replace('local:', '')];
      expect(resource).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Delete',
      });
      expect(resource.Properties['LogGroupName']).toBeUndefined();
    }
  });

  it('never points a function at a Razorpay stand-in, and sets the link expiry default', () => {
    for (const def of allDefs) {
      expect(app.envOf(def.id)['RAZORPAY_API_BASE_URL']).toBeUndefined();
      expect(app.envOf(def.id)['LINK_DEFAULT_EXPIRY_DAYS']).toBe('14');
    }
  });
});

describe('workers', () => {
  const mappingOf = (id: string) => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
      ([, r]) => JSON.stringify(r.Properties['FunctionName']) === JSON.stringify({ Ref: functionId(id) }),
    );
    expect(mappings).toHaveLength(1);
    return mappings[0]![1].Properties;
  };

  it('feeds webhook-worker from the webhook queue, 10 at a time, at most 5 at once, retrying per message', () => {
    const mapping = mappingOf('webhook-worker');
    expect(app.render(mapping['EventSourceArn'])).toBe('WebhookQueue.Arn');
    expect(mapping).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('feeds bulk-worker one item at a time with 2 workers at once: the limiter toward Razorpay', () => {
    const mapping = mappingOf('bulk-worker');
    expect(app.render(mapping['EventSourceArn'])).toBe('BulkQueue.Arn');
    expect(mapping).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    // the default budget of 20 calls/s is split across the 2 instances that may run at once
    expect(app.envOf('bulk-worker')['BULK_RATE_PER_SECOND']).toBe('10');
  });

  it('runs rebuild-aggregates once a day, to check the kept totals against the records', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [functionId('rebuild-aggregates'), 'Arn'] }, Id: 'Target0' }],
    });
  });

  it('runs reconcile on its schedule', () => {
    const reconcile = workers.find((w) => w.id === 'reconcile')!;
    template.resourceCountIs('AWS::Events::Rule', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${reconcile.everyMinutes} minutes)`,
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [functionId('reconcile'), 'Arn'] }, Id: 'Target0' }],
    });
  });

  it('gives no HTTP route a queue consumer or a schedule', () => {
    const consumers = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) =>
      app.render(r.Properties['FunctionName']),
    );
    expect(consumers.sort()).toEqual([
      `local:${functionId('bulk-worker')}`,
      `local:${functionId('feed-worker')}`,
      `local:${functionId('import-worker')}`,
      `local:${functionId('webhook-worker')}`,
    ]);
  });
});

describe('warehouse workers', () => {
  it('feeds the import worker one queued file event at a time, reporting failures per message', () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, r]) => app.render(r.Properties['FunctionName']) === `local:${functionId('import-worker')}`,
    )![1];
    expect(mapping.Properties).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it("reads only new credit and refund ledger items from the EMI table's stream, retrying a failed batch", () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, r]) => app.render(r.Properties['FunctionName']) === `local:${functionId('feed-worker')}`,
    )![1];
    expect(mapping.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      MaximumRetryAttempts: -1,
      BisectBatchOnFunctionError: false,
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { Keys: { sk: { S: ['#CREDIT'] } } },
            }),
          },
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { Keys: { sk: { S: [{ prefix: '#REFUND#' }] } } },
            }),
          },
        ],
      },
    });
  });
});
