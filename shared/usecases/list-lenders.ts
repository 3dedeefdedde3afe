/** The lenders that have loans and the caller may see, in name order (the page's filter). */
import type { Actor } from '../auth/actor';
import { mayAccessLender } from '../auth/scope';
import type { EmiStore } from '../domain/ports';

export async function listLenders(
  deps: { emis: Pick<EmiStore, 'listLenders'> },
  actor: Pick<Actor, 'lenders'>,
): Promise<{ lenders: string[] }> {
  const lenders = (await deps.emis.listLenders())
    .filter((l) => mayAccessLender(actor, l))
    .sort((a, b) => a.localeCompare(b));
  return { lenders };
}
