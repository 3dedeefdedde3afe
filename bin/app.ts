/**
 * The CDK app: `npx cdk synth -q`, `npx cdk deploy --all [-c stage=prod]`.
 * Stacks are built in lib/app.ts so the infra tests synthesise the very same app.
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

const app = new App();
buildApp(app, {
  account: process.env['CDK_DEFAULT_ACCOUNT'],
  region: process.env['CDK_DEFAULT_REGION'] ?? 'ap-south-1',
});
