/**
 * The stateless half: one function per route and per worker (lib/routes.ts is the only list),
 * the HTTP API in front of the routes, the queue consumers and the reconcile schedule, and the
 * alarms. It holds no data, so it can be destroyed and redeployed at will.
 */
import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { keys } from '../shared/adapters/dynamo/schema';
import { SETTINGS } from '../shared/config';
import { SERVICE_NAME } from '../shared/observability/names';
import { accessLogSettings, authEnvironment, needsToken, operatorAuthorizer } from './api-access';
import { AppFunction, type AppResources, assertHandlersExist } from './function';
import type { AuthSettings } from './identity';
import { Observability } from './observability';
import { queueOf, routes, type WorkerDef, workers } from './routes';

export interface ApiStackProps extends StackProps {
  resources: AppResources;
  /** the Cognito user pool's issuer and clients: the authorizer and every route function check tokens */
  auth: AuthSettings;
  /** the two dead-letter queues, watched by alarms */
  deadLetterQueues: { webhook: IQueue; bulk: IQueue; imports: IQueue };
  logLevel: string;
  /** subscribed to the alarm topic */
  alarmEmails: readonly string[];
  /** most bulk-worker instances at once: with batch size 1, the cap on parallel Razorpay calls */
  bulkMaxConcurrency: number;
  /** the whole fleet's budget of Razorpay calls per second for bulk work (split across instances) */
  bulkRatePerSecond: number;
  /** stage-wide request limits; beyond them API Gateway answers 429 */
  throttle: { rateLimit: number; burstLimit: number };
}

export { SERVICE_NAME };

/** The functions that create payment links (and so pass Razorpay a `callback_url`). */
const LINK_CREATORS = new Set(['generate-link', 'bulk-worker']);

export class ApiStack extends Stack {
  /**
   * The web page attaches here: either a `$default` route on this API to a function serving
   * web/dist (same origin, no CORS), or an S3 origin in front of which this API serves `/api/*`
   * and `/webhooks/*`. Every route below is a concrete path, so a `$default` route cannot shadow one.
   */
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** every function by its id in lib/routes.ts */
  readonly functions: ReadonlyMap<string, AppFunction>;
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    // Strong (Export/ImportValue) on purpose: CloudFormation then refuses to remove a table,
    // bucket, queue or secret while a function here still uses it. The price is that removing
    // one takes two deploys (drop the use here, then the resource); weaken that reference then.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    assertHandlersExist(this, [...routes, ...workers]);

    const environment: Record<string, string> = {
      LINK_DEFAULT_EXPIRY_DAYS: String(SETTINGS.LINK_DEFAULT_EXPIRY_DAYS.default),
      // RAZORPAY_API_BASE_URL is deliberately absent: deployed functions talk to Razorpay itself
    };
    const functions = new Map<string, AppFunction>();
    const createFunction = (def: (typeof routes)[number] | WorkerDef, extra: Record<string, string> = {}) => {
      const fn = new AppFunction(this, def.id, {
        def,
        logLevel: props.logLevel,
        environment: {
          ...environment,
          // functions that create links give Razorpay the borrower's return page (§4c) as callback_url
          ...(LINK_CREATORS.has(def.id) ? { PAY_RETURN_URL: `${this.httpApi.apiEndpoint}/pay/return` } : {}),
          ...extra,
        },
      });
      fn.grantDeclared(def.access, props.resources);
      functions.set(def.id, fn);
      return fn;
    };

    this.httpApi = new HttpApi(this, 'HttpApi', {
      // a display name only (not unique), made from the stack name so stages tell apart in the console
      apiName: `${this.stackName}-http`,
      description: 'EMI payment links: operator API and Razorpay webhook',
      // created below, to carry the throttling defaults
      createDefaultStage: false,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      // per-route metrics: the webhook route's 4xx are an alarm of their own
      detailedMetricsEnabled: true,
      accessLogSettings: accessLogSettings(this),
    });
    const authorizer = operatorAuthorizer(props.auth);
    for (const route of routes) {
      const fn = createFunction(route, {
        ...authEnvironment(props.auth, route),
        // the page uploads loans files straight to the imports bucket (a presigned PUT): its CSP
        // lets it connect there, and nowhere else outside its API and identity provider
        ...(route.assets === 'web'
          ? { IMPORTS_UPLOAD_ORIGIN: `https://${props.resources.importsBucket.bucketRegionalDomainName}` }
          : {}),
      });
      const integration = new HttpLambdaIntegration(`${route.id}Integration`, fn);
      if (route.path === '$default') {
        // everything no other route matches: the web page (its handler answers 404 for the rest)
        new HttpRoute(this, `${route.id}Route`, {
          httpApi: this.httpApi,
          routeKey: HttpRouteKey.DEFAULT,
          integration,
          ...(needsToken(route) ? { authorizer } : {}),
        });
      } else {
        this.httpApi.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          ...(needsToken(route) ? { authorizer } : {}),
        });
      }
    }

    for (const worker of workers) {
      if (worker.trigger === 'webhookQueue') {
        createFunction(worker).addEventSource(
          new SqsEventSource(props.resources.webhookQueue, {
            batchSize: queueOf(worker).batchSize,
            // a failed event is retried alone, not with the nine good ones of its batch
            reportBatchItemFailures: true,
            maxConcurrency: queueOf(worker).maxConcurrency,
          }),
        );
      } else if (worker.trigger === 'bulkQueue') {
        // each instance paces itself, so the budget is split across the instances that may run at once
        const perInstance = Math.max(1, Math.floor(props.bulkRatePerSecond / props.bulkMaxConcurrency));
        createFunction(worker, { BULK_RATE_PER_SECOND: String(perInstance) }).addEventSource(
          new SqsEventSource(props.resources.bulkQueue, {
            // one work item per invocation, and few invocations at once: the limiter toward Razorpay
            batchSize: queueOf(worker).batchSize,
            reportBatchItemFailures: true,
            maxConcurrency: props.bulkMaxConcurrency,
          }),
        );
      } else if (worker.trigger === 'importQueue') {
        createFunction(worker).addEventSource(
          new SqsEventSource(props.resources.importQueue, {
            batchSize: queueOf(worker).batchSize,
            reportBatchItemFailures: true,
            maxConcurrency: queueOf(worker).maxConcurrency,
          }),
        );
      } else if (worker.trigger === 'emisStream') {
        createFunction(worker).addEventSource(
          new DynamoEventSource(props.resources.tables.emis, {
            startingPosition: StartingPosition.TRIM_HORIZON,
            batchSize: 100,
            // the feed's object keys are per payment and kind, so a retried batch rewrites the
            // same objects: retry until it succeeds rather than skip a credit
            retryAttempts: -1,
            bisectBatchOnError: false,
            filters: [
              FilterCriteria.filter({
                eventName: FilterRule.isEqual('INSERT'),
                dynamodb: { Keys: { sk: { S: FilterRule.isEqual(keys.creditSk) } } },
              }),
              // a processed refund's ledger line: the feed's refund line
              FilterCriteria.filter({
                eventName: FilterRule.isEqual('INSERT'),
                dynamodb: { Keys: { sk: { S: FilterRule.beginsWith(keys.refundSkPrefix) } } },
              }),
            ],
          }),
        );
      } else {
        const fn = createFunction(worker);
        if (!worker.everyMinutes) throw new Error(`Worker ${worker.id} is scheduled but has no everyMinutes`);
        new Rule(this, `${worker.id}Schedule`, {
          description: `Runs ${worker.id} every ${worker.everyMinutes} minutes`,
          schedule: Schedule.rate(Duration.minutes(worker.everyMinutes)),
          targets: [new LambdaFunction(fn)],
        });
      }
    }
    this.functions = functions;

    const observability = new Observability(this, 'Observability', {
      functions,
      httpApi: this.httpApi,
      stageName: '$default',
      deadLetterQueues: props.deadLetterQueues,
      alarmEmails: props.alarmEmails,
      reconcileEveryMinutes: workers.find((w) => w.id === 'reconcile')?.everyMinutes ?? 15,
    });
    this.alarmTopic = observability.alarmTopic;
    this.dashboard = observability.dashboard;

    new CfnOutput(this, 'ApiUrl', { value: this.stage.url });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }
}
