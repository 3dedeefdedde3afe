/**
 * Search entries in the emis table (written with the loan: EmiStore.putLoan). Named access pattern:
 * - prefix(lenders, kind, term, limit)   one Query per lender on `SEARCH#<lender>#<kind>` with
 *                                        begins_with(sk, term): indexed, bounded by `limit`,
 *                                        never another lender's partition
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SearchHit, SearchIndex } from '../../domain/ports';
import type { SearchKind } from '../../domain/search-terms';
import { documentClient } from './client';
import { keys } from './schema';

export class SearchStore implements SearchIndex {
  constructor(
    private readonly table: string,
    private readonly db = documentClient(),
  ) {}

  async prefix(
    lenders: readonly string[],
    kind: SearchKind,
    term: string,
    limit: number,
  ): Promise<SearchHit[]> {
    if (term.length === 0) return [];
    const pages = await Promise.all(
      lenders.map(async (lender) => {
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :term)',
            ExpressionAttributeValues: { ':pk': keys.search(lender, kind, '', '').pk, ':term': term },
            Limit: limit,
          }),
        );
        return out.Items ?? [];
      }),
    );
    return pages
      .flat()
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)))
      .map((item) => ({
        kind: 'loan' as const,
        loanId: String(item.loanId),
        lender: String(item.lender),
        clientName: String(item.clientName),
        phone: String(item.phone),
      }));
  }
}
