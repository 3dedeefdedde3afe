/**
 * The HTTP API's gate (architecture §4a): one JWT authorizer for the Cognito pool, on exactly
 * the routes whose `permission` in lib/routes.ts is not `public` (every /api route); the
 * webhook and `$default` take no token. The stage writes access logs without personal data.
 */
import { describe, expect, it } from 'vitest';
import { routeKeyOf, routes } from '../../lib/routes';
import { synthesize } from './support';

const app = synthesize();
const resources = app.apiTemplate.toJSON()['Resources'] as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const routeByKey = new Map(
  ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties['RouteKey'] as string, r.Properties]),
);
const [authorizerId, authorizer] = ofType('AWS::ApiGatewayV2::Authorizer')[0]!;

describe('JWT authorizer', () => {
  it('is the only authorizer: JWT from the Authorization header', () => {
    expect(ofType('AWS::ApiGatewayV2::Authorizer')).toHaveLength(1);
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      ApiId: { Ref: app.logicalIdOf(app.api.httpApi) },
    });
  });

  it("trusts the user pool's issuer and accepts both app clients (client_id of access tokens)", () => {
    const jwt = authorizer.Properties['JwtConfiguration'] as { Issuer: unknown; Audience: unknown[] };
    expect(app.render(jwt.Issuer)).toBe('UserPool.ProviderURL');
    expect(jwt.Audience.map(app.render)).toEqual(['WebClient', 'MachineClient']);
  });

  it('covers every /api route, and those are exactly the routes not declared public', () => {
    const protectedKeys = routes.filter((r) => r.permission !== 'public').map(routeKeyOf);
    expect(protectedKeys.length).toBeGreaterThan(0);
    expect(protectedKeys.every((key) => key.split(' ')[1]!.startsWith('/api/'))).toBe(true);
    // every /api route but the two that hold no data: readiness and the API description
    expect(
      routes.filter((r) => r.path.startsWith('/api/') && r.permission === 'public').map(routeKeyOf),
    ).toEqual(['GET /api/health', 'GET /api/openapi.json']);
    expect(
      routes.filter((r) => r.path.startsWith('/api/') && r.permission !== 'public').map(routeKeyOf),
    ).toEqual(protectedKeys);
  });

  it.each(routes.filter((r) => r.permission !== 'public').map((r) => [routeKeyOf(r), r.permission]))(
    'puts %s (%s) behind the JWT authorizer',
    (routeKey) => {
      expect(routeByKey.get(routeKey)).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    },
  );

  it.each(routes.filter((r) => r.permission === 'public').map((r) => [routeKeyOf(r)]))(
    'leaves %s without a token check (its own signature check, or the page)',
    (routeKey) => {
      const route = routeByKey.get(routeKey);
      expect(route).toBeDefined();
      expect(route!['AuthorizationType']).toBe('NONE');
      expect(route!['AuthorizerId']).toBeUndefined();
    },
  );

  it('keeps the webhook and $default public, as the contract says', () => {
    expect(routeByKey.get('POST /webhooks/razorpay')!['AuthorizationType']).toBe('NONE');
    expect(routeByKey.get('$default')!['AuthorizationType']).toBe('NONE');
  });

  it('asks for no scope at the gateway: roles and scopes are the function-side check', () => {
    for (const route of routeByKey.values()) expect(route['AuthorizationScopes']).toBeUndefined();
  });
});

describe('stage access logs', () => {
  const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
  const settings = stage.Properties['AccessLogSettings'] as { DestinationArn: unknown; Format: string };
  const format = JSON.parse(settings.Format) as Record<string, string>;

  it('writes one JSON line per request to its own log group, kept 3 months', () => {
    const logGroup = app
      .render(settings.DestinationArn)
      .replace(/^local:/, '')
      .replace(/\.Arn$/, '');
    expect(resources[logGroup]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 90 },
    });
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      authorizerError: '$context.authorizer.error',
      sub: '$context.authorizer.claims.sub',
      clientId: '$context.authorizer.claims.client_id',
    });
  });

  it('logs neither the path nor the query (a search can carry a phone number) nor names or e-mails', () => {
    const variables = Object.values(format).join(' ');
    for (const leak of ['$context.path', 'querystring', 'claims.email', 'claims.username', 'claims.name']) {
      expect(variables).not.toContain(leak);
    }
  });
});
