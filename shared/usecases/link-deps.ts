/** What the link use cases need, passed in (ports), wired once per cold start by handlers. */

import { SETTINGS } from '../config';
import { accountOfLink } from '../domain/accounts';
import type { Clock } from '../domain/dates';
import { NotFoundError } from '../domain/errors';
import type { PaymentGateway, PaymentGateways } from '../domain/gateway';
import type { Emi, EmiLinkRef, Link } from '../domain/model';
import { anchorEmiNumbers, isUnsettled } from '../domain/model';
import type { EmiStore, EmiWrite, LinkStore, OpsStore, StoredLink } from '../domain/ports';

export interface LinkSettings {
  /** default link lifetime when the request gives no expireBy */
  defaultExpiryDays: number;
  notifySms: boolean;
  notifyEmail: boolean;
  reminders: boolean;
  /** the borrower's return page (`/pay/return`): links are created with it as `callback_url` */
  payReturnUrl?: string;
}

export interface LinkDeps {
  emis: EmiStore;
  links: LinkStore;
  ops: OpsStore;
  /** the gateway of each payment account: a link is always served by its own */
  gateways: PaymentGateways;
  clock: Clock;
  settings: LinkSettings;
}

export const DEFAULT_LINK_SETTINGS: LinkSettings = {
  defaultExpiryDays: SETTINGS.LINK_DEFAULT_EXPIRY_DAYS.default,
  notifySms: SETTINGS.LINK_NOTIFY_SMS.default,
  notifyEmail: SETTINGS.LINK_NOTIFY_EMAIL.default,
  reminders: SETTINGS.LINK_REMINDERS.default,
};

export function refOf(link: Link): EmiLinkRef {
  return {
    linkId: link.id,
    razorpayLinkId: link.razorpayLinkId,
    shortUrl: link.shortUrl,
    status: link.status,
    amount: link.amount,
    expireBy: link.expireBy,
    createdAt: link.createdAt,
    ...(link.accountId ? { accountId: link.accountId, provider: link.provider } : {}),
    ...(link.upiLink ? { upiLink: true } : {}),
    ...(link.scope === 'loan' ? { scope: 'loan' as const } : {}),
  };
}

/** The gateway of the account a link (or an EMI's link entry) lives in, for life. */
export function gatewayOf(
  deps: Pick<LinkDeps, 'gateways'>,
  link: { accountId?: string; provider?: Link['provider'] },
): Promise<PaymentGateway> {
  return deps.gateways.forAccount(accountOfLink(link));
}

/** The EMI with this link's entry added, updated or dropped to match the link. */
export function withRef(emi: Emi, link: Link, now: string): Emi {
  const links = { ...emi.links };
  // the anchor keeps the links that are not settled: payable, or not yet resolved
  if (isUnsettled(link)) links[link.id] = refOf(link);
  else delete links[link.id];
  return { ...emi, links, version: emi.version + 1, updatedAt: now };
}

export function bump(link: StoredLink, now: string): StoredLink {
  return { ...link, rev: link.rev + 1, updatedAt: now };
}

/**
 * The EMIs whose anchors hold this link, strongly consistent: its EMI, or every EMI a loan link
 * covers (in `covers` order, oldest first).
 */
export async function anchorEmis(deps: Pick<LinkDeps, 'emis'>, link: Link): Promise<Emi[]> {
  return Promise.all(
    anchorEmiNumbers(link).map(async (n) => {
      const emi = await deps.emis.getEmi(link.loanId, n, true);
      // an EMI record is never deleted (a shorter schedule marks it removed), so this is a bug
      if (!emi) throw new NotFoundError(`EMI ${n} of loan ${link.loanId} not found for link ${link.id}`);
      return emi;
    }),
  );
}

/** The commit's EMI writes that bring each anchor in line with `link` (`change` edits the EMI first). */
export function anchorWrites(
  emis: readonly Emi[],
  link: Link,
  now: string,
  change: (emi: Emi) => Emi = (e) => e,
): { emi?: EmiWrite; emis?: EmiWrite[] } {
  const writes = emis.map((emi) => ({
    emi: withRef(change(emi), link, now),
    expectedVersion: emi.version,
    before: emi,
  }));
  return link.scope === 'loan' ? { emis: writes } : { emi: writes[0] };
}
