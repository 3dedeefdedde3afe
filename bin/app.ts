/**
 * The CDK app: `npx cdk synth -q`, `npx cdk deploy --all [-c stage=prod]`.
 * Stacks are built in lib/app.ts so the infra tests synthesise the very same app.
 *
 * Region: `-c region=…`, else AWS_REGION / AWS_DEFAULT_REGION, else ap-south-1. Not
 * CDK_DEFAULT_REGION: when no region is configured the CLI fills it with us-east-1, which
 * would quietly put Indian payment data in the US instead of falling back to Mumbai.
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

const app = new App();
const region: unknown = app.node.tryGetContext('region');
buildApp(app, {
  account: process.env['CDK_DEFAULT_ACCOUNT'],
  region:
    (typeof region === 'string' && region) ||
    process.env['AWS_REGION'] ||
    process.env['AWS_DEFAULT_REGION'] ||
    'ap-south-1',
});
