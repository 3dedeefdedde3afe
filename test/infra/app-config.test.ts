/**
 * What the app does with context and with handlers that do not exist yet.
 */
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AppFunction, assertHandlersExist, missingHandlers } from '../../lib/function';
import { synthesize } from './support';

describe('context', () => {
  const app = synthesize({
    stage: 'prod',
    bulkMaxConcurrency: '7',
    bulkRatePerSecond: 35,
    apiRateLimit: 50,
    apiBurstLimit: 80,
    logLevel: 'warn',
  });

  it('names the stacks after the stage', () => {
    expect([app.stateful.stackName, app.api.stackName]).toEqual([
      'EmiLinks-prod-Stateful',
      'EmiLinks-prod-Api',
    ]);
  });

  it('takes the bulk limiter and pacing from context (a -c string or a cdk.json number)', () => {
    app.apiTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 7 },
    });
    expect(app.envOf('bulk-worker')['BULK_RATE_PER_SECOND']).toBe('5'); // 35 calls/s across 7 instances
  });

  it('takes stage throttling and the log level from context', () => {
    app.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingBurstLimit: 80, ThrottlingRateLimit: 50 },
    });
    expect(app.envOf('pending-emis')['LOG_LEVEL']).toBe('warn');
  });

  it('rejects a bulk concurrency Lambda cannot take', () => {
    expect(() => synthesize({ bulkMaxConcurrency: '1' })).toThrow(
      /bulkMaxConcurrency must be an integer from 2/,
    );
  });
});

describe('missing handlers', () => {
  const def = { id: 'no-such-function', access: {} };

  it('fails a synth that bundles, naming every missing handler file', () => {
    const stack = new Stack(new App(), 'Bundled');
    expect(() => assertHandlersExist(stack, [def, { id: 'another-missing', access: {} }])).toThrow(
      /missing handler file\(s\) functions\/no-such-function\/handler\.ts, functions\/another-missing\/handler\.ts/,
    );
    expect(() => new AppFunction(stack, 'Fn', { def })).toThrow(/functions\/no-such-function\/handler\.ts/);
  });

  it('still synthesises the template when bundling is skipped (tests, or deploying another stack)', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Unbundled');
    expect(missingHandlers([def])).toEqual(['no-such-function']);
    expect(() => assertHandlersExist(stack, [def])).not.toThrow();
    expect(new AppFunction(stack, 'Fn', { def }).runtime.name).toBe('nodejs24.x');
  });
});
