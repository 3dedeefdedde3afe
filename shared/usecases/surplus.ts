/** The surplus money of a link's payments, from the credit ledger (architecture §4c, §5). */
import type { LinkStore, StoredLink } from '../domain/ports';

/** Each captured payment of the link and its surplus (0 when its credit was not flagged). */
export async function surplusByPayment(
  deps: { links: Pick<LinkStore, 'getCredit'> },
  link: Pick<StoredLink, 'payments'>,
): Promise<Map<string, number>> {
  const captured = link.payments.filter((p) => p.status === 'captured');
  const credits = await Promise.all(captured.map((p) => deps.links.getCredit(p.paymentId)));
  const out = new Map<string, number>();
  captured.forEach((p, i) => {
    const c = credits[i];
    out.set(p.paymentId, c?.surplusReason ? (c.surplusAmount ?? 0) : 0);
  });
  return out;
}
