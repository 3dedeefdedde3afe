/**
 * A refused save changes nothing: the account's secrets are written before its record (so a
 * record never points at keys not there yet), and put back when the record loses its race.
 * In-memory fakes of the two ports; the DynamoDB and Secrets Manager adapters are proven in
 * test/integration/accounts.test.ts and test/unit/accounts/secrets-manager.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../shared/auth/actor';
import type { AccountSecrets, PaymentAccount } from '../../../shared/domain/accounts';
import { ConflictError } from '../../../shared/domain/errors';
import { type AccountDeps, putAccount, rotateWebhookSecret } from '../../../shared/usecases/payment-accounts';
import { fixedClock } from '../../support/fakes';

const admin = { sub: 'admin-1', name: 'admin', role: 'admin', lenders: '*' } as unknown as Actor;

function world() {
  const records = new Map<string, PaymentAccount>();
  const secrets = new Map<string, AccountSecrets>();
  const deps: AccountDeps = {
    accounts: {
      listAccounts: async () => [...records.values()],
      getAccount: async (id) => structuredClone(records.get(id) ?? null),
      lenderHeldElsewhere: async () => null,
      saveAccount: async (next) => {
        records.set(next.accountId, structuredClone(next));
      },
    },
    secrets: {
      read: async (id) => structuredClone(secrets.get(id) ?? null),
      write: async (id, s) => void secrets.set(id, structuredClone(s)),
    },
    checkKeys: async () => 'accepted',
    clock: fixedClock(),
    publicBaseUrl: 'https://api.example',
  };
  return { deps, records, secrets };
}

const body = (webhookSecret: string) => ({
  name: 'Sahyadri',
  provider: 'razorpay' as const,
  keyId: 'rzp_test_AAAAAAAAAAAAAA',
  keySecret: 'key-secret-one',
  webhookSecret,
  lenders: ['Sahyadri Microfin'],
});

describe('saving a payment account', () => {
  it('puts the previous secrets back when the record is refused (409), so nothing changed', async () => {
    const ok = world();
    await putAccount(ok.deps, 'sahyadri', body('webhook-one'), admin);
    const before = structuredClone(ok.secrets.get('sahyadri'));
    const refused = { ...ok, deps: { ...ok.deps } };
    // another admin's request won meanwhile: a lender claimed, or the same account changed
    refused.deps.accounts = {
      ...ok.deps.accounts,
      saveAccount: async () => {
        throw new ConflictError('LENDER_IN_OTHER_ACCOUNT', 'taken meanwhile');
      },
    };
    await expect(putAccount(refused.deps, 'sahyadri', body('webhook-two'), admin)).rejects.toThrow(
      ConflictError,
    );
    expect(ok.secrets.get('sahyadri')).toEqual(before);
    await expect(
      rotateWebhookSecret(refused.deps, 'sahyadri', { webhookSecret: 'webhook-three' }, admin),
    ).rejects.toThrow(ConflictError);
    expect(ok.secrets.get('sahyadri')).toEqual(before);
    expect(ok.records.get('sahyadri')?.version).toBe(1);
  });

  it('writes the secrets first: a saved record always has its keys', async () => {
    const w = world();
    const order: string[] = [];
    w.deps.secrets = {
      ...w.deps.secrets,
      write: async (id, s) => {
        order.push('secrets');
        w.secrets.set(id, s);
      },
    };
    w.deps.accounts = {
      ...w.deps.accounts,
      saveAccount: async (next) => {
        order.push('record');
        expect(w.secrets.get(next.accountId)?.webhookSecret).toBe('webhook-one');
        w.records.set(next.accountId, next);
      },
    };
    await putAccount(w.deps, 'sahyadri', body('webhook-one'), admin);
    expect(order).toEqual(['secrets', 'record']);
  });
});
