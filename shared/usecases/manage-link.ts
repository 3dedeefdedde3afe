/**
 * Refresh and cancel one link, and list links.
 *
 * refresh: fetch the link from Razorpay (or find it by reference id when its create never
 *   got an answer) and apply it through the one crediting path, siblings included.
 * cancel:  only a `created` link can be cancelled (Razorpay refuses the rest); anything else
 *   is a 409 that says why. If Razorpay reports it paid meanwhile, the payment is credited and
 *   the 409 says so.
 * list:    one page, newest first, from the index that serves the filters, within the caller's
 *   lenders (a `lender` outside them is a 403); a creation-date range (IST days) narrows the
 *   index's creation key; a loan id in another case is found through the loan's search entry.
 * Another lender's link answers exactly like an unknown id (404).
 */
import * as z from 'zod/mini';
import { type Actor, actorRef } from '../auth/actor';
import { lendersToRead, mayAccessLender } from '../auth/scope';
import { addDays, istDayStart } from '../domain/dates';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { LINK_ID, LINK_STATUSES } from '../domain/model';
import type { Contact, EmiStore, SearchIndex, StoredLink } from '../domain/ports';
import { loanKey } from '../domain/search-terms';
import { decodeCursor, encodeCursor } from '../http/cursor';
import { correlate } from '../observe';
import { dueDateSchema, emiNumberSchema, lenderSchema, loanIdSchema, queryInt } from '../schemas/common';
import type { LinkListItem } from '../schemas/responses';
import { gatewayOf, type LinkDeps } from './link-deps';
import { type LinkView, toLinkView } from './link-view';
import { cancelAtRazorpay, observationFromGatewayLink, syncLink } from './sync-link';

export const linkIdPathSchema = z.strictObject({
  id: z.string().check(z.regex(LINK_ID, 'must be a payment link id like lnk_…')),
});

/** The link, if it exists and is one of the actor's lenders'; otherwise the same 404. */
async function mustGet(deps: Pick<LinkDeps, 'links'>, id: string, actor: Pick<Actor, 'lenders'>) {
  const link = await deps.links.getLink(id);
  if (!link || !mayAccessLender(actor, link.lender)) throw new NotFoundError(`Payment link ${id} not found`);
  return link;
}

export async function refreshLink(
  deps: LinkDeps,
  id: string,
  actor: Pick<Actor, 'lenders'>,
): Promise<LinkView> {
  correlate({ linkId: id });
  const link = await mustGet(deps, id, actor);
  let razorpayId = link.razorpayLinkId;
  if (!razorpayId) {
    // a create that never got an answer: Razorpay's list finds it by reference id (but lists
    // no payments), so fetch it by its id afterwards for the payments
    const found = await (await gatewayOf(deps, link)).findLinkByReferenceId(link.referenceId);
    if (!found) return toLinkView(link); // Razorpay never created it: it stays failed
    razorpayId = found.id;
  }
  const g = await (await gatewayOf(deps, link)).fetchLink(razorpayId);
  return toLinkView(await syncLink(deps, id, observationFromGatewayLink(g)));
}

const WHY_NOT: Record<string, string> = {
  creating: 'it is still being created at Razorpay; try again in a moment',
  failed: 'it was never created at Razorpay',
  partially_paid: 'it has already been partly paid (Razorpay cannot cancel a partially paid link)',
  paid: 'it has already been paid',
  expired: 'it has expired',
  cancelled: 'it is already cancelled',
};

export async function cancelLink(deps: LinkDeps, id: string, actor: Actor): Promise<LinkView> {
  correlate({ linkId: id });
  const link: StoredLink = await mustGet(deps, id, actor);
  if (link.status !== 'created') {
    throw new ConflictError(
      'LINK_NOT_CANCELLABLE',
      `Payment link ${id} cannot be cancelled: ${WHY_NOT[link.status]}`,
    );
  }
  const after = await cancelAtRazorpay(deps, link, 'manual', actorRef(actor));
  if (after.status !== 'cancelled') {
    throw new ConflictError(
      'LINK_NOT_CANCELLABLE',
      `Payment link ${id} cannot be cancelled: ${WHY_NOT[after.status] ?? `it is ${after.status}`}`,
    );
  }
  return toLinkView(after);
}

export const listLinksQuerySchema = z.strictObject({
  status: z.optional(z.enum(LINK_STATUSES)),
  lender: z.optional(lenderSchema),
  loanId: z.optional(loanIdSchema),
  emiNumber: z.optional(
    z.pipe(
      z.string(),
      z.pipe(
        z.transform((s: string) => (/^\d{1,4}$/.test(s) ? Number(s) : Number.NaN)),
        emiNumberSchema,
      ),
    ),
  ),
  attention: z.optional(z.enum(['true', 'false'])),
  from: z.optional(dueDateSchema),
  to: z.optional(dueDateSchema),
  limit: z.optional(queryInt(1, 200)),
  cursor: z.optional(z.string()),
});

export type ListLinksQuery = z.infer<typeof listLinksQuerySchema>;

/**
 * A loan id as the person typed it, in any case, as the loan is filed: its search entries
 * (loan id, lower-case) within the caller's lenders; the id as typed when none matches.
 */
async function canonicalLoanId(
  deps: ListLinksDeps,
  loanId: string,
  scope: '*' | readonly string[],
): Promise<string> {
  if (!deps.search || !deps.emis) return loanId;
  const lenders = scope === '*' ? await deps.emis.listLenders() : scope;
  // the exact id sorts first among its prefixes (`kav-1#…` before `kav-10#…`)
  const hits = await deps.search.prefix(lenders, 'loan', loanKey(loanId), 20);
  const same = hits.filter((h) => loanKey(h.loanId) === loanKey(loanId));
  return same.find((h) => h.loanId === loanId)?.loanId ?? same[0]?.loanId ?? loanId;
}

export interface ListLinksDeps extends Pick<LinkDeps, 'links'> {
  /** to find a loan id typed in another case (without them the id must match exactly) */
  search?: SearchIndex;
  /** lenders, and the borrowers' contacts shown beside the links (null without it) */
  emis?: Pick<EmiStore, 'listLenders' | 'contactsOf'>;
}

export async function listLinks(
  deps: ListLinksDeps,
  query: ListLinksQuery,
  actor: Pick<Actor, 'lenders'>,
): Promise<{ items: LinkListItem[]; nextCursor: string | null }> {
  const scope = lendersToRead(actor, query.lender);
  if (query.emiNumber !== undefined && query.loanId === undefined) {
    throw new ValidationError('emiNumber needs loanId', [
      { field: 'query.emiNumber', message: 'is allowed only together with loanId' },
    ]);
  }
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new ValidationError('from is after to', [
      { field: 'query.from', message: 'must be on or before to' },
    ]);
  }
  const filters = {
    status: query.status,
    lender: scope !== '*' && scope.length === 1 ? scope[0] : undefined,
    loanId: query.loanId === undefined ? undefined : await canonicalLoanId(deps, query.loanId, scope),
    emiNumber: query.emiNumber,
    attention: query.attention === 'true',
    // IST calendar days → instants: from the start of `from` to the start of the day after `to`
    createdFrom: query.from === undefined ? undefined : istDayStart(query.from),
    createdBefore: query.to === undefined ? undefined : istDayStart(addDays(query.to, 1)),
  };
  // the cursor is bound to the filters, and sealed with the caller's scope (the lenders it read)
  const fingerprint = JSON.stringify(['links', filters]);
  const limit = query.limit ?? 50;
  const several = scope !== '*' && scope.length > 1;
  const merged = several && filters.loanId === undefined && !filters.attention;
  // a loan's links and the attention list are small sets: the lender set is a filter on them
  const scoped = several && !merged ? { ...filters, lenders: scope as string[] } : filters;
  const cursor = { scope: JSON.stringify(scope), query: fingerprint };
  const startKey = await decodeCursor(query.cursor, cursor);
  // several lenders, listed through their own partitions and merged (never all links filtered)
  const page = merged
    ? await deps.links.listLinksOfLenders(
        { status: filters.status, createdFrom: filters.createdFrom, createdBefore: filters.createdBefore },
        scope as string[],
        limit,
        startKey,
      )
    : await deps.links.listLinks(scoped, limit, startKey);
  // a loan link's contact is the loan's (it names no one EMI)
  const emiOf = (l: StoredLink) => (l.scope === 'loan' ? null : l.emiNumber);
  const contacts = deps.emis
    ? await deps.emis.contactsOf(page.items.map((l) => ({ loanId: l.loanId, emiNumber: emiOf(l) })))
    : new Map<string, Contact>();
  const items = page.items.map((link) => {
    const c = contacts.get(`${link.loanId}#${emiOf(link) ?? ''}`);
    return {
      ...toLinkView(link),
      phone: c?.phone ?? null,
      email: c?.email ?? null,
      dueDate: c?.dueDate ?? null,
    };
  });
  return { items, nextCursor: await encodeCursor(cursor, page.lastKey) };
}
