/**
 * Search entries in the emis table (written with the loan: EmiStore.putLoan). Named access pattern:
 * - prefix(lenders, kind, term, limit)   one Query per lender on `SEARCH#<lender>#<kind>` with
 *                                        sk from `term` to `term` + U+10FFFF (begins_with, as
 *                                        a range): indexed, bounded by `limit`,
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
            // begins_with as a range (the same rows): a seek on the sort key, also in DynamoDB Local
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :term AND :end',
            ExpressionAttributeValues: {
              ':pk': keys.search(lender, kind, '', '').pk,
              ':term': term,
              ':end': `${term}\u{10FFFF}`,
            },
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
