/**
 * cdk-nag's AWS Solutions rules over the whole app, as a validation plugin: `cdk synth` fails
 * on any finding not acknowledged here, and test/infra/nag.test.ts runs the same pack. Every
 * acknowledgement is as narrow as cdk-nag allows (one finding on one resource, or one
 * resource pattern) and says why the finding is accepted rather than fixed.
 */
import { type App, Aspects, type IAspect, Stack, Token, Validations } from 'aws-cdk-lib';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { AppStacks } from './app';
import {
  accountSecretArnPattern,
  CURATED_PREFIX,
  EXPORTS_PREFIX,
  IMPORTS_PREFIX,
  RAW_EXIMPE_WEBHOOKS_PREFIX,
  RAW_WEBHOOKS_PREFIX,
} from './function';
import { routeKeyOf, routes } from './routes';

export function addNagChecks(app: App, stacks: AppStacks, mfa: 'optional' | 'required'): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  acknowledgeFindings(stacks, mfa);
  Aspects.of(app).add(new AcknowledgeActionsWithoutResources());
}

/**
 * Actions IAM cannot scope to a resource (the service authorizes them on `*` only): X-Ray's
 * trace upload and sampling calls, which Lambda's active tracing grants every function.
 */
const NO_RESOURCE_LEVEL = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:GetSamplingStatisticSummaries',
]);

/**
 * IAM5 `Resource::*` is acknowledged on a policy only when every statement granting `*` holds
 * nothing but such actions, so a real wildcard grant beside them still fails. An aspect, so it
 * sees policies completed after buildApp (it runs at synth, before validation).
 */
class AcknowledgeActionsWithoutResources implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof CfnPolicy)) return;
    const document = Stack.of(node).resolve(node.policyDocument) as {
      Statement?: { Action?: string | string[]; Resource?: unknown }[];
    };
    const onEverything = (document.Statement ?? []).filter((statement) =>
      [statement.Resource].flat().includes('*'),
    );
    if (onEverything.length === 0) return;
    if (!onEverything.every((s) => [s.Action ?? []].flat().every((a) => NO_RESOURCE_LEVEL.has(a)))) return;
    Validations.of(node).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "X-Ray trace upload and sampling actions, and dynamodb:ListStreams (the feed worker's stream " +
        'source), support no resource-level permission: IAM accepts them only on "*" (every other ' +
        'statement of this policy names its resource)',
    });
  }
}

function acknowledgeFindings({ stateful, api }: AppStacks, mfa: 'optional' | 'required'): void {
  // APIG4 (no authorization): only the routes lib/routes.ts declares `public`.
  const reasons: Record<string, string> = {
    webhook:
      'Razorpay cannot send a bearer token: the route checks the X-Razorpay-Signature HMAC of the ' +
      'raw body against the secret in Secrets Manager and refuses anything else with 401',
    'webhook-account':
      'Razorpay cannot send a bearer token: the route checks the X-Razorpay-Signature HMAC of the ' +
      "raw body against that payment account's own secrets in Secrets Manager, refuses anything " +
      'else with 401 and an unknown account with 404',
    'webhook-eximpe':
      'EximPe cannot send a bearer token: the route checks the X-Webhook-Signature HMAC of the raw ' +
      "body against that EximPe account's own secrets in Secrets Manager, refuses anything else " +
      'with 401 and an unknown account with 404',
    web:
      "The $default route serves the operator page's static files, which hold no data; the page " +
      'reads data only through /api routes, each behind the JWT authorizer',
    health:
      'A readiness probe answering {"status":"ok"}: no data, no input, touches no resource (access: {})',
    'pay-return':
      "The borrower's browser arrives here from Razorpay's hosted page (callback_url) and has no " +
      'token: the page shows amount, loan id and status only when razorpay_signature verifies under ' +
      "the key secret of the link's own account (HMAC-SHA256, constant-time), and otherwise the same " +
      '"could not confirm" whatever the input; it writes nothing',
    openapi:
      'The API description (docs/openapi.json bundled into the function): routes and shapes only, ' +
      'no data and no secret; callers need it before they have a token',
  };
  const publicKeys = new Map(
    routes.filter((r) => r.permission === 'public').map((r) => [routeKeyOf(r), r.id]),
  );
  for (const node of api.node.findAll()) {
    if (!(node instanceof CfnRoute)) continue;
    const id = publicKeys.get(node.routeKey);
    if (id === undefined) continue;
    const reason = reasons[id];
    if (!reason) throw new Error(`lib/nag.ts: say why the public route ${id} needs no authorization`);
    Validations.of(node).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  }

  // IAM5 (wildcards): object keys under a fixed prefix. Every table index is named (lib/function.ts).
  const objectGrants: [CfnBucket, string, string][] = [
    [
      stateful.exportsBucket.node.defaultChild as CfnBucket,
      EXPORTS_PREFIX,
      'each bulk job writes its CSV under a key made from the job id at run time; the grant is ' +
        'limited to the exports/ prefix and to GetObject or PutObject/AbortMultipartUpload',
    ],
    [
      stateful.rawWebhooksBucket.node.defaultChild as CfnBucket,
      RAW_WEBHOOKS_PREFIX,
      'each webhook delivery lands under a key made from its date and event id; the grant is ' +
        'PutObject only, limited to the raw/razorpay/webhooks/ prefix',
    ],
    [
      stateful.importsBucket.node.defaultChild as CfnBucket,
      IMPORTS_PREFIX,
      'each loans file arrives under a key its sender chooses (or loans/<importId>/ from the API); ' +
        'the grant is GetObject/PutObject (the worker) or PutObject (presigning), limited to loans/',
    ],
    [
      stateful.rawWebhooksBucket.node.defaultChild as CfnBucket,
      RAW_EXIMPE_WEBHOOKS_PREFIX,
      'each EximPe webhook delivery lands under a key made from its date and event id; the grant ' +
        'is PutObject only, limited to the raw/eximpe/webhooks/ prefix',
    ],
    [
      stateful.rawWebhooksBucket.node.defaultChild as CfnBucket,
      CURATED_PREFIX,
      'each curated feed line lands under a key made from its date, kind and payment id; the grant ' +
        'is PutObject only, limited to the curated/payments/ prefix',
    ],
  ];
  for (const [bucket, prefix, reason] of objectGrants) {
    // cdk-nag names the resource as it finds it: `<LogicalId.Arn>` before synthesis resolves the
    // cross-stack reference, the export's name after. exportValue returns the very export the
    // automatic reference uses (the grants in lib/function.ts already need it).
    const imported = stateful.resolve(stateful.exportValue(bucket.attrArn)) as { 'Fn::ImportValue': string };
    for (const arn of [`<${stateful.getLogicalId(bucket)}.Arn>`, imported['Fn::ImportValue']]) {
      Validations.of(api).acknowledge({ id: `AwsSolutions-IAM5[Resource::${arn}/${prefix}*]`, reason });
    }
  }

  // IAM5: the payment accounts' secrets are created at runtime, one per account, so the grant
  // names their prefix, not each secret (lib/function.ts grantAccountSecrets)
  Validations.of(api).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagArn(api, accountSecretArnPattern(api, stateful.accountSecretPrefix))}]`,
    reason:
      "One Secrets Manager secret per payment account (architecture §4b), created by the admin API when an admin adds an account: the grant is limited to the project's own name prefix, with no delete and no list",
  });

  // SMG4 (no automatic rotation): the values are issued by Razorpay.
  const rotation =
    "Razorpay issues these values in its Dashboard and has no API to rotate them, so a rotation Lambda cannot; the README's Deploy section has the manual rotation (webhook secrets keep `previous` for a day)";
  for (const secret of [stateful.razorpayApiSecret, stateful.razorpayWebhookSecret]) {
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotation });
  }
  Validations.of(stateful.cursorSecret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The cursor key only seals page cursors (issue 14): replacing it by hand at any time just makes open cursors answer 400 (start again without one); no data is encrypted under it, so scheduled rotation adds a Lambda and nothing else',
  });

  // COG2 (a warning: MFA not required) only while the deployment chose optional MFA.
  if (mfa === 'optional') {
    Validations.of(stateful.identity.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'Optional TOTP MFA is the product decision for this deployment (issue 13): every operator ' +
        'can enrol an authenticator, and -c authMfa=required makes it mandatory. Threat protection ' +
        '(Plus plan, enforced) still blocks or challenges risky sign-ins',
    });
  }
}

/** The nag pack run directly over a construct tree (tests; `cdk synth` runs it as a plugin). */
export function nagReport(scope: IConstruct) {
  return new AwsSolutionsChecks().validateScope(scope);
}

/** An ARN as cdk-nag names it in a finding: pseudo parameters still unresolved show as `<AWS::…>`. */
function nagArn(stack: Stack, arn: string): string {
  let out = arn;
  for (const [value, name] of [
    [stack.account, 'AWS::AccountId'],
    [stack.region, 'AWS::Region'],
    [stack.partition, 'AWS::Partition'],
  ] as const) {
    if (Token.isUnresolved(value)) out = out.replace(value, `<${name}>`);
  }
  return out;
}
