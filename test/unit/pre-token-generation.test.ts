/**
 * The Cognito pre-token-generation trigger: a V2 event in, the access-token claims out.
 * Events are shaped as Cognito sends them (response.claimsAndScopeOverrideDetails is null).
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler, parseLenders } from '../../functions/pre-token-generation/handler';

function cognitoEvent(attributes: Record<string, string>): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    region: 'ap-south-1',
    userPoolId: 'ap-south-1_Example',
    triggerSource: 'TokenGeneration_HostedAuth',
    userName: 'collector',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'webclientid' },
    request: {
      userAttributes: { sub: '9f1c2d3e-0000-4000-8000-000000000001', email_verified: 'true', ...attributes },
      groupConfiguration: {
        groupsToOverride: ['collector'],
        iamRolesToOverride: [],
        preferredRole: undefined,
      },
      scopes: ['openid', 'email', 'profile'],
    },
    response: { claimsAndScopeOverrideDetails: null as never },
  };
}

const accessClaims = (event: PreTokenGenerationV2TriggerEvent) =>
  event.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride as unknown;

describe('pre-token-generation trigger', () => {
  it('adds the lenders of custom:lenders to the access token as an array', async () => {
    const out = await handler(cognitoEvent({ 'custom:lenders': '["Kaveri Finance","Deccan Credit"]' }));
    expect(accessClaims(out)).toEqual({ lenders: ['Kaveri Finance', 'Deccan Credit'] });
  });

  it('keeps the groups as Cognito sets them and touches neither the ID token nor the scopes', async () => {
    const out = await handler(cognitoEvent({ 'custom:lenders': '["Sahyadri Microfin"]' }));
    const details = out.response.claimsAndScopeOverrideDetails;
    expect(details.groupOverrideDetails).toBeUndefined();
    expect(details.idTokenGeneration).toBeUndefined();
    expect(details.accessTokenGeneration).toEqual({
      claimsToAddOrOverride: { lenders: ['Sahyadri Microfin'] },
    });
    expect(out.request.groupConfiguration.groupsToOverride).toEqual(['collector']);
  });

  it('turns a list holding * into ["*"] (all lenders)', async () => {
    const out = await handler(cognitoEvent({ 'custom:lenders': '["*"]' }));
    expect(accessClaims(out)).toEqual({ lenders: ['*'] });
    expect(parseLenders('["Kaveri Finance","*"]').lenders).toEqual(['*']);
  });

  it('trims names and drops duplicates, keeping the given order', () => {
    expect(parseLenders('[" Deccan Credit ","Kaveri Finance","Deccan Credit"]')).toEqual({
      lenders: ['Deccan Credit', 'Kaveri Finance'],
      malformed: false,
    });
  });

  it('gives a person without the attribute empty lenders (the API then answers 403)', async () => {
    const out = await handler(cognitoEvent({}));
    expect(accessClaims(out)).toEqual({ lenders: [] });
    expect(parseLenders('')).toEqual({ lenders: [], malformed: false });
  });

  it.each([
    ['not JSON', 'Kaveri Finance,Deccan Credit'],
    ['a JSON string', '"Kaveri Finance"'],
    ['a JSON object', '{"lenders":["Kaveri Finance"]}'],
    ['a number in the list', '["Kaveri Finance",7]'],
    ['an empty name', '["Kaveri Finance",""]'],
    ['a blank name', '["   "]'],
    ['a name over 100 characters', JSON.stringify(['x'.repeat(101)])],
    ['over 100 names', JSON.stringify(Array.from({ length: 101 }, (_, i) => `Lender ${i}`))],
    ['truncated JSON', '["Kaveri Fin'],
  ])('gives empty lenders for a malformed attribute (%s) and still completes the login', async (_n, raw) => {
    const event = cognitoEvent({ 'custom:lenders': raw });
    await expect(handler(event)).resolves.toBe(event);
    expect(accessClaims(event)).toEqual({ lenders: [] });
    expect(parseLenders(raw).malformed).toBe(true);
  });

  it('never throws into the login, even for an event without a request', async () => {
    const broken = { ...cognitoEvent({}), request: undefined } as unknown as PreTokenGenerationV2TriggerEvent;
    const out = await handler(broken);
    expect(accessClaims(out)).toEqual({ lenders: [] });
  });

  it('keeps what another part of the response already set', async () => {
    const event = cognitoEvent({ 'custom:lenders': '["Deccan Credit"]' });
    event.response.claimsAndScopeOverrideDetails = {
      accessTokenGeneration: { scopesToSuppress: ['profile'] },
    };
    const out = await handler(event);
    expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({
      scopesToSuppress: ['profile'],
      claimsToAddOrOverride: { lenders: ['Deccan Credit'] },
    });
  });
});
