/**
 * Cognito pre-token-generation trigger (V2 event): puts `lenders` — the lender names a person
 * may work on, `["*"]` = all (architecture §4a) — into the access token, parsed from the
 * user's `custom:lenders` attribute, a JSON array of names set by an admin. Groups need nothing
 * here: Cognito already puts them in `cognito:groups`.
 *
 * It runs inside every login and refresh, so it never throws: a missing or malformed attribute
 * gives `lenders: []`, which the API answers with 403 (fail closed), and the login goes on.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { log } from '../../shared/log';
import { observedHandler } from '../../shared/observe';

export const LENDERS_ATTRIBUTE = 'custom:lenders';
/** a lender name as the loans carry it; generous, but bounded so a token stays small */
const MAX_NAME_LENGTH = 100;
const MAX_LENDERS = 100;

/** V2 lets a claim be an array; @types/aws-lambda types claims as strings only. */
interface AccessTokenClaims {
  lenders: string[];
}

/**
 * The attribute's lender names, trimmed, de-duplicated, in their given order; `["*"]` when
 * the list holds `*`. Anything but a JSON array of non-empty strings is malformed: `[]`.
 */
export function parseLenders(raw: string | undefined): { lenders: string[]; malformed: boolean } {
  if (raw === undefined || raw.trim() === '') return { lenders: [], malformed: false };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { lenders: [], malformed: true };
  }
  if (!Array.isArray(value) || value.length > MAX_LENDERS) return { lenders: [], malformed: true };
  const names: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string') return { lenders: [], malformed: true };
    const name = item.trim();
    if (name === '' || name.length > MAX_NAME_LENGTH) return { lenders: [], malformed: true };
    if (!names.includes(name)) names.push(name);
  }
  return { lenders: names.includes('*') ? ['*'] : names, malformed: false };
}

export const handler = observedHandler('pre-token-generation', main);

export async function main(
  event: PreTokenGenerationV2TriggerEvent,
): Promise<PreTokenGenerationV2TriggerEvent> {
  try {
    const { lenders, malformed } = parseLenders(event.request?.userAttributes?.[LENDERS_ATTRIBUTE]);
    if (malformed) {
      // the sub only: no username or e-mail in logs
      log.warn('custom:lenders is not a JSON array of lender names; the token gets no lenders', {
        userPoolId: event.userPoolId,
        sub: event.request.userAttributes['sub'],
        triggerSource: event.triggerSource,
      });
    }
    const claims: AccessTokenClaims = { lenders };
    event.response = {
      ...event.response,
      claimsAndScopeOverrideDetails: {
        ...event.response?.claimsAndScopeOverrideDetails,
        accessTokenGeneration: {
          ...event.response?.claimsAndScopeOverrideDetails?.accessTokenGeneration,
          claimsToAddOrOverride: claims as unknown as Record<string, string>,
        },
      },
    };
  } catch (err) {
    // never fail a login from here: without the claim the API refuses the token (403)
    log.error('pre-token-generation failed; the token gets no lenders', { err });
  }
  return event;
}
