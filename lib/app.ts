/**
 * Builds the whole CDK app from context, for bin/app.ts and the infra tests alike, so the
 * tests assert on exactly what `cdk synth` produces.
 *
 * Context (`-c key=value` or cdk.json): `stage` (dev), `logLevel` (info), `bulkMaxConcurrency` (2),
 * `bulkRatePerSecond` (20), `apiRateLimit` (100), `apiBurstLimit` (200), `exportsCorsOrigins`
 * (comma-separated, `*`), `alarmEmail` (comma-separated addresses subscribed to the alarm topic;
 * none by default); `region` is read in bin/app.ts. Identity (lib/identity.ts):
 * `authDomainPrefix` (`emi-links-<stage>`), `authCallbackUrls` (comma-separated,
 * `http://localhost:3000/`), `authLogoutUrls` (the callback URLs), `authMfa` (`optional`|`required`).
 */
import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { ApiStack, SERVICE_NAME } from './api-stack';
import type { IdentityConfig } from './identity';
import { addNagChecks } from './nag';
import { StatefulStack } from './stateful-stack';

export interface AppStacks {
  stateful: StatefulStack;
  api: ApiStack;
}

export function buildApp(app: App, env: Environment): AppStacks {
  const stage = contextString(app, 'stage', 'dev');
  const prefix = `EmiLinks-${stage}`;
  Tags.of(app).add('project', SERVICE_NAME);
  Tags.of(app).add('stage', stage);
  const logLevel = contextString(app, 'logLevel', 'info');
  const identity = identityConfig(app, stage);

  const stateful = new StatefulStack(app, 'Stateful', {
    stackName: `${prefix}-Stateful`,
    description: 'EMI payment links: tables, buckets, queues and secrets (retained)',
    env,
    exportsCorsOrigins: contextString(app, 'exportsCorsOrigins', '*')
      .split(',')
      .map((o) => o.trim()),
    identity,
    functionEnvironment: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, LOG_LEVEL: logLevel },
  });
  const api = new ApiStack(app, 'Api', {
    stackName: `${prefix}-Api`,
    description: 'EMI payment links: HTTP API, functions, workers, schedule and alarms',
    env,
    resources: stateful,
    auth: stateful.identity.settings,
    deadLetterQueues: { webhook: stateful.webhookDlq, bulk: stateful.bulkDlq, imports: stateful.importDlq },
    logLevel,
    alarmEmails: contextEmails(app, 'alarmEmail'),
    // Lambda's event source mapping accepts 2..1000
    bulkMaxConcurrency: contextInt(app, 'bulkMaxConcurrency', 2, 2, 1000),
    bulkRatePerSecond: contextInt(app, 'bulkRatePerSecond', 20, 1, 10_000),
    throttle: {
      rateLimit: contextInt(app, 'apiRateLimit', 100, 1, 10_000),
      burstLimit: contextInt(app, 'apiBurstLimit', 200, 1, 5_000),
    },
  });
  const stacks = { stateful, api };
  addNagChecks(app, stacks, identity.mfa);
  return stacks;
}

function identityConfig(app: App, stage: string): IdentityConfig {
  const list = (value: string) =>
    value
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url !== '');
  const callbackUrls = list(contextString(app, 'authCallbackUrls', 'http://localhost:3000/'));
  const mfa = contextString(app, 'authMfa', 'optional');
  if (mfa !== 'optional' && mfa !== 'required') {
    throw new Error(`Context authMfa must be "optional" or "required", got ${JSON.stringify(mfa)}`);
  }
  return {
    domainPrefix: contextString(app, 'authDomainPrefix', `emi-links-${stage}`),
    callbackUrls,
    logoutUrls: list(contextString(app, 'authLogoutUrls', callbackUrls.join(','))),
    mfa,
  };
}

function contextString(app: App, key: string, fallback: string): string {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string')
    throw new Error(`Context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** A comma-separated list of e-mail addresses (empty: none). */
function contextEmails(app: App, key: string): string[] {
  const emails = contextString(app, key, '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const email of emails) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      throw new Error(
        `Context ${key} must be e-mail addresses separated by commas, got ${JSON.stringify(email)}`,
      );
    }
  }
  return emails;
}

/** `-c key=5` arrives as the string "5", cdk.json gives a number: accept both. */
function contextInt(app: App, key: string, fallback: number, min: number, max: number): number {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`Context ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}
