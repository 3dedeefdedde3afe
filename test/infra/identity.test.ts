/**
 * Identity on AWS (architecture §4a): the Cognito user pool and its settings, the two app
 * clients and their flows, the groups, the pre-token-generation trigger, the hosted login, and
 * the configuration read from context.
 */
import { describe, expect, it } from 'vitest';
import { synthesize } from './support';

const app = synthesize();
const template = app.statefulTemplate;
type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
const resources = template.toJSON()['Resources'] as Record<string, Resource>;
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const identity = app.stateful.identity;
const poolRef = { Ref: app.logicalIdOf(identity.userPool) };
const resourceOf = (construct: Parameters<typeof app.logicalIdOf>[0]) =>
  resources[app.logicalIdOf(construct)]!;

describe('user pool', () => {
  const pool = resourceOf(identity.userPool);

  it('is the only user pool, retained and protected from deletion', () => {
    expect(ofType('AWS::Cognito::UserPool')).toHaveLength(1);
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(pool.UpdateReplacePolicy).toBe('Retain');
    expect(pool.Properties['DeletionProtection']).toBe('ACTIVE');
  });

  it('lets only an admin create users (no self sign-up)', () => {
    expect(pool.Properties['AdminCreateUserConfig']).toEqual({ AllowAdminCreateUserOnly: true });
  });

  it('asks for strong passwords: 14 characters of every class, no reuse of the last 12', () => {
    expect(pool.Properties['Policies']).toEqual({
      PasswordPolicy: {
        MinimumLength: 14,
        RequireLowercase: true,
        RequireUppercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
        PasswordHistorySize: 12,
        TemporaryPasswordValidityDays: 3,
      },
    });
  });

  it('offers TOTP MFA (optional by default), never SMS', () => {
    expect(pool.Properties['MfaConfiguration']).toBe('OPTIONAL');
    expect(pool.Properties['EnabledMfas']).toEqual(['SOFTWARE_TOKEN_MFA']);
  });

  it('is on the Plus plan with threat protection enforced', () => {
    expect(pool.Properties['UserPoolTier']).toBe('PLUS');
    expect(pool.Properties['UserPoolAddOns']).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
  });

  it('keeps custom:lenders, a mutable string an admin sets', () => {
    expect(pool.Properties['Schema']).toContainEqual({
      Name: 'lenders',
      AttributeDataType: 'String',
      Mutable: true,
      StringAttributeConstraints: { MinLength: '0', MaxLength: '2048' },
    });
  });

  it('recovers accounts by verified e-mail only', () => {
    expect(pool.Properties['AccountRecoverySetting']).toEqual({
      RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }],
    });
  });
});

describe('groups and scopes', () => {
  it('has exactly the three roles as groups, admin first', () => {
    const groups = ofType('AWS::Cognito::UserPoolGroup').map((g) => g.Properties);
    expect(groups.map((g) => [g['GroupName'], g['Precedence']]).sort()).toEqual([
      ['admin', 1],
      ['collector', 2],
      ['viewer', 3],
    ]);
    for (const group of groups) expect(group['UserPoolId']).toEqual(poolRef);
  });

  it('declares the emi-links resource server with read, write and loans.write', () => {
    const [server, ...others] = ofType('AWS::Cognito::UserPoolResourceServer');
    expect(others).toEqual([]);
    expect(server!.Properties['Identifier']).toBe('emi-links');
    expect((server!.Properties['Scopes'] as { ScopeName: string }[]).map((s) => s.ScopeName)).toEqual([
      'read',
      'write',
      'loans.write',
    ]);
  });
});

describe('app clients', () => {
  it('has exactly two clients: the page and the machines', () => {
    expect(ofType('AWS::Cognito::UserPoolClient')).toHaveLength(2);
  });

  it('gives the page a public client: authorization code only, no secret, SRP, short access tokens', () => {
    expect(resourceOf(identity.webClient).Properties).toMatchObject({
      UserPoolId: poolRef,
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
      RefreshTokenValidity: 720,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
      CallbackURLs: ['http://localhost:3000/'],
      LogoutURLs: ['http://localhost:3000/'],
    });
  });

  it('lets no token of the page change its own attributes (custom:lenders, e-mail)', () => {
    const web = resourceOf(identity.webClient).Properties;
    expect(web['WriteAttributes']).toEqual([]);
    expect(web['AllowedOAuthScopes']).not.toContain('aws.cognito.signin.user.admin');
    for (const scope of web['AllowedOAuthScopes'] as string[]) expect(scope).not.toMatch(/^emi-links\//);
  });

  it('gives machines a confidential client with client credentials and the three scopes, nothing else', () => {
    const serverRef = { Ref: app.logicalIdOf(ofTypeConstruct('ResourceServer')) };
    expect(resourceOf(identity.machineClient).Properties).toMatchObject({
      UserPoolId: poolRef,
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: ['read', 'write', 'loans.write'].map((scope) => ({
        'Fn::Join': ['', [serverRef, `/${scope}`]],
      })),
      // no user sign-in through it (CDK always adds the refresh flag, unused by client credentials)
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      AccessTokenValidity: 60,
      EnableTokenRevocation: true,
    });
    expect(resourceOf(identity.machineClient).Properties['CallbackURLs']).toBeUndefined();
  });
});

describe('lenders in access tokens', () => {
  it('wires the pre-token-generation trigger with the V2 event', () => {
    expect(resourceOf(identity.userPool).Properties['LambdaConfig']).toEqual({
      PreTokenGenerationConfig: {
        LambdaArn: { 'Fn::GetAtt': [app.logicalIdOf(identity.preTokenGeneration), 'Arn'] },
        LambdaVersion: 'V2_0',
      },
    });
  });

  it('lets only this user pool invoke the trigger', () => {
    const permissions = ofType('AWS::Lambda::Permission').filter(
      (p) =>
        JSON.stringify(p.Properties['FunctionName']) ===
        JSON.stringify({ 'Fn::GetAtt': [app.logicalIdOf(identity.preTokenGeneration), 'Arn'] }),
    );
    expect(permissions.map((p) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [app.logicalIdOf(identity.preTokenGeneration), 'Arn'] },
        Principal: 'cognito-idp.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [app.logicalIdOf(identity.userPool), 'Arn'] },
      },
    ]);
  });

  it('runs the trigger on the house function defaults, with no access to any data', () => {
    const fn = resourceOf(identity.preTokenGeneration).Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 5,
      MemorySize: 256,
    });
    const role = (fn['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(resources[role]!.Properties['ManagedPolicyArns']).toBeUndefined();
    const statements = ofType('AWS::IAM::Policy')
      .filter((p) => JSON.stringify(p.Properties['Roles']) === JSON.stringify([{ Ref: role }]))
      .flatMap(
        (p) =>
          (p.Properties['PolicyDocument'] as { Statement: { Action: unknown; Resource: unknown }[] })
            .Statement,
      );
    const logGroup = app.render((fn['LoggingConfig'] as { LogGroup: unknown }).LogGroup);
    // its own log group, and (with Lambda tracing on) X-Ray's resource-less trace upload: no data
    const dataStatements = statements.filter(
      (s) => ![s.Action].flat().every((a) => String(a).startsWith('xray:')),
    );
    expect(dataStatements.map((s) => [s.Action, app.render(s.Resource)])).toEqual([
      [['logs:CreateLogStream', 'logs:PutLogEvents'], `${logGroup}.Arn`],
    ]);
  });
});

describe('hosted login', () => {
  it('serves managed login on the configured Cognito domain prefix, branded for the page', () => {
    const [domain] = ofType('AWS::Cognito::UserPoolDomain');
    expect(domain!.Properties).toEqual({
      Domain: 'emi-links-dev',
      ManagedLoginVersion: 2,
      UserPoolId: poolRef,
    });
    const [branding] = ofType('AWS::Cognito::ManagedLoginBranding');
    expect(branding!.Properties).toEqual({
      UserPoolId: poolRef,
      ClientId: { Ref: app.logicalIdOf(identity.webClient) },
      UseCognitoProvidedValues: true,
    });
  });

  it('outputs the pool, both client ids, the login URL and the issuer, never the client secret', () => {
    const outputs = template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    expect(outputs['UserPoolId']!.Value).toEqual(poolRef);
    expect(outputs['WebClientId']!.Value).toEqual({ Ref: app.logicalIdOf(identity.webClient) });
    expect(outputs['MachineClientId']!.Value).toEqual({ Ref: app.logicalIdOf(identity.machineClient) });
    expect(app.render(outputs['AuthLoginUrl']!.Value)).toBe(
      `https://local:${app.logicalIdOf(identity.domain)}.auth.ap-south-1.amazoncognito.com`,
    );
    expect(outputs['AuthIssuer']!.Value).toEqual({
      'Fn::GetAtt': [app.logicalIdOf(identity.userPool), 'ProviderURL'],
    });
    expect(JSON.stringify(outputs)).not.toContain('ClientSecret');
  });
});

describe('configuration from context', () => {
  it('takes the domain prefix, callback and logout URLs and MFA from context', () => {
    const custom = synthesize({
      stage: 'prod',
      authDomainPrefix: 'acme-collections',
      authCallbackUrls: 'https://pay-ops.example.in/, https://abc123.execute-api.ap-south-1.amazonaws.com/',
      authLogoutUrls: 'https://pay-ops.example.in/',
      authMfa: 'required',
    });
    const stateful = custom.statefulTemplate;
    stateful.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-collections' });
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://pay-ops.example.in/', 'https://abc123.execute-api.ap-south-1.amazonaws.com/'],
      LogoutURLs: ['https://pay-ops.example.in/'],
    });
    stateful.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON' });
  });

  it('names the default domain prefix after the stage', () => {
    synthesize({ stage: 'uat' }).statefulTemplate.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'emi-links-uat',
    });
  });

  it.each([
    [{ authDomainPrefix: 'My_Pool' }, /authDomainPrefix must be 1-63 lowercase/],
    [{ authDomainPrefix: 'emi-cognito' }, /without "aws", "amazon" or "cognito"/],
    [
      { authCallbackUrls: 'http://ops.example.in/' },
      /authCallbackUrls: "http:\/\/ops.example.in\/" must be an https URL/,
    ],
    [{ authCallbackUrls: 'https://ops.example.in/#x' }, /without a fragment/],
    [{ authCallbackUrls: ' , ' }, /authCallbackUrls needs at least one URL/],
    [{ authLogoutUrls: 'not a url' }, /authLogoutUrls: "not a url"/],
    [{ authMfa: 'sometimes' }, /authMfa must be "optional" or "required"/],
  ])('refuses %j at synth, naming the key', (context, message) => {
    expect(() => synthesize(context)).toThrow(message);
  });
});

function ofTypeConstruct(id: string) {
  const found = identity.userPool.node.tryFindChild(id);
  if (!found) throw new Error(`No ${id} under the user pool`);
  return found;
}
