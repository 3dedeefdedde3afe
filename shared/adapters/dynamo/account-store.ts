/**
 * Payment accounts in the emis table (architecture §4b). Named access patterns:
 * - listAccounts()                 Query ACCOUNTS (one small partition; never a Scan)
 * - getAccount(id)                 GetItem ACCOUNTS/<id>
 * - accountOfLender(lender)        GetItem LENDER_ACCOUNT#<lender>: where its new links go
 * - saveAccount(next, previous)    TransactWriteItems: the record (versioned) + one claim per
 *                                  lender it gains (conditional: free or already this account's)
 *                                  + the release of each lender it drops
 * The account's secrets are not here (AccountSecretStore); only its public key id is.
 */
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AccountRef,
  type AccountRepository,
  lenderTaken,
  type PaymentAccount,
} from '../../domain/accounts';
import { ConflictError } from '../../domain/errors';
import { documentClient, transactionReasons } from './client';
import { keys } from './schema';

function fromItem(item: Record<string, unknown>): PaymentAccount {
  const { pk: _pk, sk: _sk, type: _type, ...rest } = item;
  return rest as unknown as PaymentAccount;
}

export class AccountStore implements AccountRepository {
  constructor(
    private readonly table: string,
    private readonly db = documentClient(),
  ) {}

  async listAccounts(): Promise<PaymentAccount[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.accountsPk() },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(fromItem);
  }

  async getAccount(accountId: string): Promise<PaymentAccount | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.account(accountId), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  /** The account a lender is in, or null (it uses `default`). */
  async accountOfLender(lender: string): Promise<AccountRef | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.lenderAccount(lender), ConsistentRead: true }),
    );
    if (!out.Item) return null;
    return { accountId: out.Item.accountId as string, provider: out.Item.provider as AccountRef['provider'] };
  }

  /**
   * Writes the account as `next` (version `previous.version + 1`, or 1 for a new one), claims
   * the lenders it gains and releases those it drops, all or nothing. A lender held by another
   * account → ConflictError LENDER_IN_OTHER_ACCOUNT naming it; a concurrent change of the same
   * account → ConflictError CONCURRENT_UPDATE.
   */
  async saveAccount(next: PaymentAccount, previous: PaymentAccount | null): Promise<void> {
    const before = new Set(previous?.lenders ?? []);
    const after = new Set(next.lenders);
    const gained = next.lenders.filter((l) => !before.has(l));
    const dropped = [...before].filter((l) => !after.has(l));
    const owner = { ':id': next.accountId };
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: this.table,
          Item: { ...keys.account(next.accountId), type: 'ACCOUNT', ...next },
          ...(previous
            ? {
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': previous.version },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
      ...gained.map((lender) => ({
        Put: {
          TableName: this.table,
          Item: {
            ...keys.lenderAccount(lender),
            type: 'LENDER_ACCOUNT',
            lender,
            accountId: next.accountId,
            provider: next.provider,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR accountId = :id',
          ExpressionAttributeValues: owner,
        },
      })),
      ...dropped.map((lender) => ({
        Delete: {
          TableName: this.table,
          Key: keys.lenderAccount(lender),
          ConditionExpression: 'attribute_not_exists(pk) OR accountId = :id',
          ExpressionAttributeValues: owner,
        },
      })),
    ];
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (err) {
      const reasons = transactionReasons(err);
      if (!reasons) throw err;
      const taken = reasons.findIndex(
        (r, i) => i >= 1 && i <= gained.length && r === 'ConditionalCheckFailed',
      );
      if (taken !== -1) throw lenderTaken(gained[taken - 1] as string);
      throw new ConflictError(
        'CONCURRENT_UPDATE',
        `Payment account ${next.accountId} was changed by someone else meanwhile; read it again and retry`,
      );
    }
  }

  /** The first of these lenders that another account holds, or null: a friendly check before writing. */
  async lenderHeldElsewhere(accountId: string, lenders: readonly string[]): Promise<string | null> {
    // one consistent BatchGetItem (an account holds at most MAX_LENDERS_PER_ACCOUNT lenders, under
    // its 100 keys), asking again for what DynamoDB leaves unprocessed
    const lenderOf = new Map<string, string>();
    for (const l of lenders) {
      const k = keys.lenderAccount(l);
      lenderOf.set(`${k.pk}\u0000${k.sk}`, l);
    }
    const ownerOf = new Map<string, string>();
    let pending: Record<string, unknown>[] = [...new Set(lenders)].map((l) => keys.lenderAccount(l));
    for (let round = 0; pending.length > 0; round++) {
      if (round === 5) throw new Error('DynamoDB left lender look-ups unprocessed five times');
      const out = await this.db.send(
        new BatchGetCommand({
          RequestItems: {
            [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'pk, sk, accountId' },
          },
        }),
      );
      for (const item of out.Responses?.[this.table] ?? []) {
        const lender = lenderOf.get(`${String(item.pk)}\u0000${String(item.sk)}`);
        if (lender !== undefined) ownerOf.set(lender, String(item.accountId));
      }
      pending = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    // the first in the caller's order, as the error names it
    return lenders.find((l) => ownerOf.has(l) && ownerOf.get(l) !== accountId) ?? null;
  }
}
