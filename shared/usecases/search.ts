/**
 * GET /api/search (architecture §4d): find a loan or a link by what a person has at hand.
 *
 * Steps: validate `q` (3–64 characters; a phone needs at least 4 digits) and `limit` (1–20);
 * decide what `q` can be — our link id (`lnk_…`) or Razorpay's (`plink_…`): one exact read;
 * digits (spaces, `+`, `-` allowed): a phone (its last 10 digits, prefix) and a loan id prefix;
 * anything else: a loan id prefix and a name word prefix (every further word must prefix another
 * word of the name). Each is a Query on the caller's lenders' own search partitions
 * (`SEARCH#<lender>#<kind>`, begins_with on the term): indexed, never a Scan, and never another
 * lender's entry. `q` is matched literally: no character has a special meaning.
 */
import * as z from 'zod/mini';
import type { Actor } from '../auth/actor';
import { mayAccessLender } from '../auth/scope';
import { ValidationError } from '../domain/errors';
import type { EmiStore, LinkStore, SearchIndex, StoredLink } from '../domain/ports';
import { loanKey, nameWords, phoneKey } from '../domain/search-terms';
import { queryInt } from '../schemas/common';
import type { SearchPage, SearchResult } from '../schemas/responses';
import { lendersFor } from './dashboard';

export const MAX_SEARCH_RESULTS = 20;

export const searchQuerySchema = z.strictObject({
  q: z
    .string()
    .check(
      z.trim(),
      z.minLength(3, 'must be at least 3 characters'),
      z.maxLength(64, 'must be at most 64 characters'),
    ),
  limit: z.optional(queryInt(1, MAX_SEARCH_RESULTS)),
});

export type SearchQuery = z.infer<typeof searchQuerySchema>;

export interface SearchDeps {
  emis: Pick<EmiStore, 'listLenders' | 'getLoanItems'>;
  links: Pick<LinkStore, 'getLink' | 'findByRazorpayId'>;
  search: SearchIndex;
}

const OUR_LINK_ID = /^lnk_[a-z0-9]{20}$/i;
const RAZORPAY_LINK_ID = /^plink_[A-Za-z0-9]{6,30}$/;
const PHONE_LIKE = /^\+?[0-9][0-9 -]*$/;
/** what a name can hold besides letters and digits: anything else (`*`, `%`, `[`…) matches no name */
const NAME_LIKE = /^[\p{L}\p{M}\p{N} .'-]+$/u;

async function linkResult(deps: SearchDeps, link: StoredLink): Promise<SearchResult> {
  const { loan } = await deps.emis.getLoanItems(link.loanId);
  return {
    kind: 'link',
    loanId: link.loanId,
    lender: link.lender,
    clientName: link.clientName,
    phone: loan?.phone ?? '',
    ...(link.scope === 'loan' ? {} : { emiNumber: link.emiNumber }),
    linkId: link.id,
    ...(link.razorpayLinkId && (link.provider ?? 'razorpay') === 'razorpay'
      ? { razorpayLinkId: link.razorpayLinkId }
      : {}),
    status: link.status,
  };
}

export async function search(
  deps: SearchDeps,
  query: SearchQuery,
  actor: Pick<Actor, 'lenders'>,
): Promise<SearchPage> {
  const q = query.q;
  const limit = query.limit ?? MAX_SEARCH_RESULTS;

  if (OUR_LINK_ID.test(q) || RAZORPAY_LINK_ID.test(q)) {
    const link = OUR_LINK_ID.test(q)
      ? await deps.links.getLink(q.toLowerCase())
      : await deps.links.findByRazorpayId(q);
    if (!link || !mayAccessLender(actor, link.lender)) return { items: [] };
    return { items: [await linkResult(deps, link)] };
  }

  const lenders = await lendersFor(deps, actor, undefined);
  const found: SearchResult[] = [];
  const seen = new Set<string>();
  const take = (rows: SearchResult[]) => {
    for (const r of rows) {
      if (found.length >= limit) return;
      if (seen.has(r.loanId)) continue;
      seen.add(r.loanId);
      found.push(r);
    }
  };

  if (PHONE_LIKE.test(q)) {
    const digits = phoneKey(q);
    if (digits.length < 4) {
      throw new ValidationError('q: a phone number needs at least 4 digits', [
        { field: 'query.q', message: 'a phone number needs at least 4 digits' },
      ]);
    }
    const [byPhone, byLoan] = await Promise.all([
      deps.search.prefix(lenders, 'phone', digits, limit),
      deps.search.prefix(lenders, 'loan', loanKey(q), limit),
    ]);
    take(byPhone);
    take(byLoan);
    return { items: found };
  }

  const words = NAME_LIKE.test(q) ? nameWords(q) : [];
  const [first, ...rest] = words;
  const [byLoan, byName] = await Promise.all([
    deps.search.prefix(lenders, 'loan', loanKey(q), limit),
    first
      ? deps.search.prefix(lenders, 'name', first, rest.length > 0 ? limit * 5 : limit)
      : Promise.resolve([]),
  ]);
  take(byLoan);
  take(
    byName.filter((r) => {
      const theirs = nameWords(r.clientName);
      return rest.every((w) => theirs.some((t) => t.startsWith(w)));
    }),
  );
  return { items: found };
}
