/**
 * Contacts for a page of links (the list's phone column and CSV). Named access pattern:
 * - contactsOf(refs)   BatchGetItem of the EMI items (a loan link: the loan item), 100 keys a
 *                      request, deduplicated, projected to phone, e-mail and due date; what
 *                      DynamoDB leaves unprocessed is asked again. Cost follows the page size.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Contact } from '../../domain/ports';
import { keys } from './schema';

const KEYS_PER_REQUEST = 100;

export function contactKey(loanId: string, emiNumber: number | null): string {
  return `${loanId}#${emiNumber ?? ''}`;
}

export async function contactsOf(
  db: DynamoDBDocumentClient,
  table: string,
  refs: readonly { loanId: string; emiNumber: number | null }[],
): Promise<Map<string, Contact>> {
  const wanted = new Map<string, Record<string, unknown>>();
  for (const r of refs) {
    const key = r.emiNumber === null ? keys.loan(r.loanId) : keys.emi(r.loanId, r.emiNumber);
    wanted.set(contactKey(r.loanId, r.emiNumber), key);
  }
  const byPk = new Map<string, string>();
  for (const [id, key] of wanted) byPk.set(`${key.pk}\u0000${key.sk}`, id);
  const found = new Map<string, Contact>();
  const all = [...wanted.values()];
  for (let i = 0; i < all.length; i += KEYS_PER_REQUEST) {
    let pending: Record<string, unknown>[] = all.slice(i, i + KEYS_PER_REQUEST);
    for (let round = 0; pending.length > 0 && round < 5; round++) {
      const out = await db.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ProjectionExpression: 'pk, sk, phone, email, dueDate',
            },
          },
        }),
      );
      for (const item of out.Responses?.[table] ?? []) {
        const id = byPk.get(`${String(item.pk)}\u0000${String(item.sk)}`);
        if (!id) continue;
        found.set(id, {
          phone: typeof item.phone === 'string' ? item.phone : null,
          email: typeof item.email === 'string' ? item.email : null,
          dueDate: typeof item.dueDate === 'string' ? item.dueDate : null,
        });
      }
      pending = (out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return found;
}
