/**
 * The HTTP API's front door (architecture §4a): the JWT authorizer on every route whose
 * `permission` in lib/routes.ts is not `public`, the token settings every route function reads
 * for its own second check, and the stage's access log. Kept apart from api-stack.ts so the
 * stack only asks "which authorizer for this route".
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type IAccessLogSettings, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { AuthSettings } from './identity';
import type { RouteDef } from './routes';

/**
 * One authorizer for every protected route. API Gateway checks the signature against the
 * pool's JWKS, `iss`, `exp`/`nbf`, and — since Cognito access tokens carry no `aud` — their
 * `client_id` against this audience list. Roles, scopes and lenders are the function's check.
 */
export function operatorAuthorizer(auth: AuthSettings): HttpJwtAuthorizer {
  return new HttpJwtAuthorizer('OperatorJwt', auth.issuer, {
    authorizerName: 'operator-jwt',
    identitySource: ['$request.header.Authorization'],
    jwtAudience: auth.clientIds,
  });
}

/** `public` routes (the webhook, which checks its signature, and the page) take no token. */
export function needsToken(route: Pick<RouteDef, 'permission'>): boolean {
  return route.permission !== 'public';
}

/**
 * The variables of the interface file, on every route function: its verifier reads the first
 * three. The page's function also learns where its login starts (client id, hosted login URL).
 */
export function authEnvironment(auth: AuthSettings, route: Pick<RouteDef, 'assets'>): Record<string, string> {
  return {
    AUTH_ISSUER: auth.issuer,
    AUTH_JWKS_URI: auth.jwksUri,
    AUTH_CLIENT_IDS: auth.clientIds.join(','),
    ...(route.assets === 'web'
      ? { AUTH_WEB_CLIENT_ID: auth.webClientId, AUTH_LOGIN_URL: auth.loginBaseUrl }
      : {}),
  };
}

/**
 * Access logs of the stage: one JSON line per request. The route key, never the path or query
 * (a search query can carry a phone number); the caller as `sub` and `client_id` only (no
 * e-mail or name); the authorizer's error, so a 401 can be explained.
 */
export function accessLogSettings(scope: Construct): IAccessLogSettings {
  const logGroup = new LogGroup(scope, 'ApiAccessLogs', {
    retention: RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const fields = {
    requestId: '$context.requestId',
    time: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    sub: '$context.authorizer.claims.sub',
    clientId: '$context.authorizer.claims.client_id',
  };
  return {
    destination: new LogGroupLogDestination(logGroup),
    format: AccessLogFormat.custom(JSON.stringify(fields)),
  };
}
