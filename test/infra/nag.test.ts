/**
 * cdk-nag's AWS Solutions pack over the whole app (lib/nag.ts). No finding may remain that is
 * not acknowledged, each acknowledgement says why, and the list of acknowledgements is pinned
 * here so a new one is a reviewed diff. `cdk synth` runs the same pack as a validation plugin.
 */
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { nagReport } from '../../lib/nag';
import { synthesize } from './support';

/** `rule on path` for every finding cdk-nag still reports. */
function findings(root: IConstruct): string[] {
  return nagReport(root).violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} on ${r.constructPath}`),
  );
}

/** `path: rule` for every acknowledgement in the tree, with its reason. */
function acknowledgements(root: IConstruct): { where: string; rule: string; reason: unknown }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([rule, reason]) => ({
          where: construct.node.path,
          rule: rule.replace(/^Annotation::/, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  // synthesised first, as `cdk synth` validates: cross-stack references are resolved by then
  const app = synthesize();
  const root = app.api.node.root;

  it('leaves no unacknowledged error or warning anywhere in the app', () => {
    expect(findings(root)).toEqual([]);
  });

  it('acknowledges only these findings, each where it applies', () => {
    // (X-Ray's resource-less actions are acknowledged per policy by an aspect: tested below)
    const pinned = acknowledgements(root).filter(({ rule }) => rule !== 'AwsSolutions-IAM5[Resource::*]');
    const rules = pinned.map(({ where, rule }) =>
      `${where}: ${rule}`
        .replace(/<(\w+?)[0-9A-F]{8}\.Arn>/, '<$1.Arn>')
        .replace(/ExportsOutputFnGetAtt(\w+?)[0-9A-F]{8}Arn[0-9A-F]{8}/, 'export:$1.Arn'),
    );
    expect(rules.sort()).toEqual(
      [
        'Api/HttpApi/POST--webhooks--razorpay/Resource: AwsSolutions-APIG4',
        'Api/HttpApi/POST--webhooks--razorpay--{accountId}/Resource: AwsSolutions-APIG4',
        'Api/HttpApi/POST--webhooks--eximpe--{accountId}/Resource: AwsSolutions-APIG4',
        'Api: AwsSolutions-IAM5[Resource::<RawWebhooksBucket.Arn>/raw/eximpe/webhooks/*]',
        'Api: AwsSolutions-IAM5[Resource::EmiLinks-dev-Stateful:export:RawWebhooksBucket.Arn/raw/eximpe/webhooks/*]',
        'Api/HttpApi/GET--api--health/Resource: AwsSolutions-APIG4',
        'Api/HttpApi/GET--api--openapi.json/Resource: AwsSolutions-APIG4',
        'Api/HttpApi/GET--pay--return/Resource: AwsSolutions-APIG4',
        'Api/webRoute/Resource: AwsSolutions-APIG4',
        'Api: AwsSolutions-IAM5[Resource::<ExportsBucket.Arn>/exports/*]',
        'Api: AwsSolutions-IAM5[Resource::EmiLinks-dev-Stateful:export:ExportsBucket.Arn/exports/*]',
        'Api: AwsSolutions-IAM5[Resource::<RawWebhooksBucket.Arn>/raw/razorpay/webhooks/*]',
        'Api: AwsSolutions-IAM5[Resource::EmiLinks-dev-Stateful:export:RawWebhooksBucket.Arn/raw/razorpay/webhooks/*]',
        'Api: AwsSolutions-IAM5[Resource::<ImportsBucket.Arn>/loans/*]',
        'Api: AwsSolutions-IAM5[Resource::EmiLinks-dev-Stateful:export:ImportsBucket.Arn/loans/*]',
        'Api: AwsSolutions-IAM5[Resource::<RawWebhooksBucket.Arn>/curated/payments/*]',
        'Api: AwsSolutions-IAM5[Resource::EmiLinks-dev-Stateful:export:RawWebhooksBucket.Arn/curated/payments/*]',
        'Api: AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:ap-south-1:<AWS::AccountId>:secret:EmiLinks-dev-Stateful/payment-accounts/*]',
        'Stateful/RazorpayApiSecret: AwsSolutions-SMG4',
        'Stateful/RazorpayWebhookSecret: AwsSolutions-SMG4',
        'Stateful/CursorSecret: AwsSolutions-SMG4',
        'Stateful/Identity/UserPool: AwsSolutions-COG2',
      ].sort(),
    );
  });

  it('states a reason with every acknowledgement', () => {
    for (const { where, rule, reason } of acknowledgements(root)) {
      expect(typeof reason, `${where} ${rule}`).toBe('string');
      expect((reason as string).length, `${where} ${rule}`).toBeGreaterThan(60);
    }
  });

  it('needs no MFA acknowledgement when the deployment requires MFA', () => {
    const strict = synthesize({ authMfa: 'required' });
    const strictRoot = strict.api.node.root;
    expect(findings(strictRoot)).toEqual([]);
    expect(acknowledgements(strictRoot).map((a) => a.rule)).not.toContain('AwsSolutions-COG2');
  });

  it("acknowledges no wildcard but the four object prefixes and the payment accounts' secret prefix: table indexes and log groups are exact", () => {
    const iam5 = acknowledgements(root).filter(
      (a) => a.rule.startsWith('AwsSolutions-IAM5') && a.rule !== 'AwsSolutions-IAM5[Resource::*]',
    );
    expect(
      iam5.every((a) =>
        /\/(exports|raw\/(razorpay|eximpe)\/webhooks|loans|curated\/payments|payment-accounts)\/\*\]$/.test(
          a.rule,
        ),
      ),
    ).toBe(true);
  });
});

describe('cdk synth with the nag plugin', () => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  // CDK_VALIDATION=false (vitest.config.ts) skips only CDK's own CloudFormation checks; plugins run
  const freshApp = () => {
    const fresh = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    return { fresh, stacks: buildApp(fresh, { region: 'ap-south-1' }) };
  };
  const xray = new PolicyStatement({
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    resources: ['*'],
  });

  it('passes the app as it is', () => {
    expect(() => freshApp().fresh.synth()).not.toThrow();
  });

  it('fails on a new finding (a bucket without access logs), naming the rule and the resource', () => {
    const { fresh, stacks } = freshApp();
    new Bucket(stacks.stateful, 'UnloggedBucket', { enforceSSL: true });
    expect(() => fresh.synth()).toThrow(/server access logs disabled[\s\S]*Stateful\/UnloggedBucket/);
  });

  it('accepts X-Ray tracing grants on "*" (IAM has no resource for them)', () => {
    const { fresh, stacks } = freshApp();
    stacks.api.functions.get('lenders')!.addToRolePolicy(xray);
    expect(() => fresh.synth()).not.toThrow();
    const acks = acknowledgements(fresh).filter((a) => a.rule === 'AwsSolutions-IAM5[Resource::*]');
    expect(acks.map((a) => a.where)).toContain('Api/lendersRole/DefaultPolicy/Resource');
  });

  it('still fails a policy that grants anything else on "*" beside X-Ray', () => {
    const { fresh, stacks } = freshApp();
    const fn = stacks.api.functions.get('lenders')!;
    fn.addToRolePolicy(xray);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: ['*'] }));
    expect(() => fresh.synth()).toThrow(/wildcard permissions[\s\S]*Api\/lendersRole\/DefaultPolicy/);
  });
});
