/**
 * Who may log in (architecture §4a), on AWS: one Cognito user pool with the three roles as
 * groups, the `emi-links` resource server with the machine scopes, a public client for the
 * page (authorization code + PKCE) and a confidential one for machine callers (client
 * credentials), the hosted login on a Cognito domain, and the pre-token-generation trigger
 * that puts `lenders` into access tokens. Lives in the stateful stack: users, their groups and
 * the machine client's secret must survive a redeploy of the API.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  ClientAttributes,
  FeaturePlan,
  LambdaVersion,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { AppFunction } from './function';

/** Read from context in lib/app.ts (`authDomainPrefix`, `authCallbackUrls`, `authLogoutUrls`, `authMfa`). */
export interface IdentityConfig {
  /** `<prefix>.auth.<region>.amazoncognito.com`: unique per region across all AWS accounts */
  domainPrefix: string;
  /** where the hosted login may send the page back with a code: the page's origin(s), with a trailing `/` */
  callbackUrls: string[];
  /** where the hosted logout may send the page back */
  logoutUrls: string[];
  /** `optional`: operators may enrol a TOTP app; `required`: every operator must at first login */
  mfa: 'optional' | 'required';
}

/** What the API stack needs to check tokens: the names of the interface file, on every API function. */
export interface AuthSettings {
  /** the exact `iss` of the pool's tokens: `https://cognito-idp.<region>.amazonaws.com/<poolId>` */
  readonly issuer: string;
  readonly jwksUri: string;
  /** accepted `client_id` values: the page's client and the machine client */
  readonly clientIds: string[];
  /** the page's (public) client, for the login it starts */
  readonly webClientId: string;
  /** the hosted login's base URL (`/oauth2/authorize`, `/oauth2/token`, `/logout` under it) */
  readonly loginBaseUrl: string;
}

/** The resource server and its scopes: the machine-scope column of §4a's table. */
export const RESOURCE_SERVER = 'emi-links';
export const SCOPES = {
  read: 'emi-links/read',
  write: 'emi-links/write',
  loans: 'emi-links/loans.write',
} as const;
/** The roles of §4a as Cognito groups; a person's group reaches access tokens as `cognito:groups`. */
export const GROUPS = ['viewer', 'collector', 'admin'] as const;

/** The custom attribute an admin sets per operator: a JSON array of lender names, `["*"]` = all. */
export const LENDERS_ATTRIBUTE = 'lenders';

/** Short-lived access tokens: a removed operator or group change takes effect within this. */
const ACCESS_TOKEN_MINUTES = 15;

export class Identity extends Construct {
  readonly userPool: UserPool;
  readonly webClient: UserPoolClient;
  readonly machineClient: UserPoolClient;
  readonly domain: UserPoolDomain;
  readonly preTokenGeneration: AppFunction;
  readonly settings: AuthSettings;

  constructor(scope: Construct, id: string, config: IdentityConfig, environment: Record<string, string>) {
    super(scope, id);
    validateConfig(config);

    this.preTokenGeneration = new AppFunction(this, 'PreTokenGeneration', {
      def: { id: 'pre-token-generation', access: {}, memoryMb: 256, timeoutSeconds: 5 },
      environment,
    });

    this.userPool = new UserPool(this, 'UserPool', {
      // operators are created by an admin (README: "How an admin adds an operator")
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
      },
      customAttributes: {
        [LENDERS_ATTRIBUTE]: new StringAttribute({ minLen: 0, maxLen: 2048, mutable: true }),
      },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 12,
      },
      mfa: config.mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      // an authenticator app only: SMS codes can be SIM-swapped and cost money per message
      mfaSecondFactor: { sms: false, otp: true, email: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Plus: threat protection (compromised-credential checks, adaptive authentication that
      // blocks or challenges risky sign-ins) is only in this plan. A lending team has tens of
      // operators, so the per-MAU price is small next to what one stolen login could expose.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPool.addTrigger(
      UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      this.preTokenGeneration,
      // V2: the event that can add claims (and arrays) to access tokens, not only ID tokens
      LambdaVersion.V2_0,
    );

    GROUPS.forEach((group, index) => {
      this.userPool.addGroup(`${group}Group`, {
        groupName: group,
        description: `${group}: see the README's role table`,
        // most privileged first: if someone is in two groups, the token lists admin first
        precedence: GROUPS.length - index,
      });
    });

    const machineScopes = [
      new ResourceServerScope({ scopeName: 'read', scopeDescription: 'read EMIs, links, jobs and lenders' }),
      new ResourceServerScope({
        scopeName: 'write',
        scopeDescription: 'generate, refresh and cancel links, run bulk jobs',
      }),
      new ResourceServerScope({ scopeName: 'loans.write', scopeDescription: 'upsert loans and their EMIs' }),
    ];
    const resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER,
      scopes: machineScopes,
    });

    this.webClient = this.userPool.addClient('WebClient', {
      // a browser cannot keep a secret: authorization code + PKCE (S256) instead
      generateSecret: false,
      // SRP only (never the password in clear) plus refresh; the page itself uses the hosted login
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        // no emi-links/* scope: a person's rights come from their group, never from a scope
        // the page could ask for; no aws.cognito.signin.user.admin, so a token cannot edit
        // its own attributes (custom:lenders)
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: config.callbackUrls,
        logoutUrls: config.logoutUrls,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      accessTokenValidity: Duration.minutes(ACCESS_TOKEN_MINUTES),
      idTokenValidity: Duration.minutes(ACCESS_TOKEN_MINUTES),
      // a working day; the page renews access tokens with it, and logout revokes it
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
      // read-only attributes: nobody changes their own lenders or e-mail through the page's client
      writeAttributes: new ClientAttributes(),
    });

    this.machineClient = this.userPool.addClient('MachineClient', {
      generateSecret: true,
      // no user sign-in of any kind through this client (only the refresh flag CDK always adds,
      // which client credentials never use): it exists for client_credentials alone
      authFlows: { userSrp: false },
      oAuth: {
        flows: { clientCredentials: true },
        scopes: machineScopes.map((scope) => OAuthScope.resourceServer(resourceServer, scope)),
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      // a machine fetches a token per hour, not per call (Cognito bills token requests)
      accessTokenValidity: Duration.hours(1),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: config.domainPrefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // managed login (v2) shows a page only for clients that have a branding style: Cognito's own
    new CfnManagedLoginBranding(this, 'WebClientLoginBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.webClient.userPoolClientId,
      useCognitoProvidedValues: true,
    });

    const issuer = this.userPool.userPoolProviderUrl;
    this.settings = {
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      clientIds: [this.webClient.userPoolClientId, this.machineClient.userPoolClientId],
      webClientId: this.webClient.userPoolClientId,
      loginBaseUrl: this.domain.baseUrl(),
    };

    const stack = Stack.of(this);
    new CfnOutput(stack, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(stack, 'WebClientId', { value: this.webClient.userPoolClientId });
    new CfnOutput(stack, 'MachineClientId', {
      value: this.machineClient.userPoolClientId,
      description: 'its secret: aws cognito-idp describe-user-pool-client (never an output)',
    });
    new CfnOutput(stack, 'AuthLoginUrl', { value: this.settings.loginBaseUrl });
    new CfnOutput(stack, 'AuthIssuer', { value: issuer });
  }
}

/** Cognito's own rules, checked at synth so a typo fails here and not halfway through a deploy. */
function validateConfig(config: IdentityConfig): void {
  const prefix = config.domainPrefix;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    throw new Error(
      `Context authDomainPrefix must be 1-63 lowercase letters, digits and inner hyphens, without ` +
        `"aws", "amazon" or "cognito"; got ${JSON.stringify(prefix)}`,
    );
  }
  for (const [key, urls] of [
    ['authCallbackUrls', config.callbackUrls],
    ['authLogoutUrls', config.logoutUrls],
  ] as const) {
    if (urls.length === 0) throw new Error(`Context ${key} needs at least one URL`);
    for (const url of urls) {
      if (!isAllowedRedirect(url)) {
        throw new Error(
          `Context ${key}: ${JSON.stringify(url)} must be an https URL (http only for localhost) without a fragment`,
        );
      }
    }
  }
}

function isAllowedRedirect(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash !== '' || value.includes('#')) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
}
