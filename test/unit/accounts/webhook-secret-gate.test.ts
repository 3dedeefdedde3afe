import { describe, expect, it } from 'vitest';
import {
  gatedWebhookSecrets,
  REFRESH_INTERVAL_MS,
  UNKNOWN_LOOKUPS_PER_MINUTE,
} from '../../../shared/adapters/webhook-secret-gate';

/** A secret store holding `real` accounts, counting each read it is asked for. */
function store(real: Record<string, string[]>) {
  const reads: { accountId: string; refresh: boolean }[] = [];
  const read = async (accountId: string, options: { refresh?: boolean } = {}) => {
    reads.push({ accountId, refresh: options.refresh === true });
    return real[accountId] ?? null;
  };
  return { read, reads };
}

describe('webhook secret gate (public webhook URLs and the secret store)', () => {
  it('looks up made-up account ids at most UNKNOWN_LOOKUPS_PER_MINUTE times a minute, then refuses without a lookup', async () => {
    let now = 1_000_000;
    const s = store({});
    const secrets = gatedWebhookSecrets(s.read, { now: () => now });
    for (let i = 0; i < 500; i++) expect(await secrets(`made-up-${i}`)).toBeNull();
    expect(s.reads).toHaveLength(UNKNOWN_LOOKUPS_PER_MINUTE);
    // the budget refills with time: one more lookup every 60 / N seconds
    now += 60_000 / UNKNOWN_LOOKUPS_PER_MINUTE;
    expect(await secrets('made-up-next')).toBeNull();
    expect(await secrets('made-up-after')).toBeNull();
    expect(s.reads).toHaveLength(UNKNOWN_LOOKUPS_PER_MINUTE + 1);
  });

  it('keeps serving an account found once, however many made-up ids arrive meanwhile', async () => {
    const now = 1_000_000;
    const s = store({ acme: ['whsec_acme'] });
    const secrets = gatedWebhookSecrets(s.read, { now: () => now });
    expect(await secrets('acme')).toEqual(['whsec_acme']);
    for (let i = 0; i < 100; i++) await secrets(`made-up-${i}`);
    expect(await secrets('acme')).toEqual(['whsec_acme']);
    expect(await secrets('acme')).toEqual(['whsec_acme']);
    expect(s.reads.filter((r) => r.accountId === 'acme')).toHaveLength(3);
  });

  it('serves a real account created during a flood once the flood stops', async () => {
    let now = 1_000_000;
    const real: Record<string, string[]> = {};
    const s = store(real);
    const secrets = gatedWebhookSecrets(s.read, { now: () => now });
    for (let i = 0; i < 50; i++) await secrets(`made-up-${i}`);
    real.fresh = ['whsec_fresh'];
    expect(await secrets('fresh')).toBeNull(); // refused: Razorpay retries the delivery
    now += 60_000;
    expect(await secrets('fresh')).toEqual(['whsec_fresh']);
  });

  it('re-reads a known account after a signature mismatch at most once per interval', async () => {
    let now = 1_000_000;
    const s = store({ acme: ['whsec_acme'] });
    const secrets = gatedWebhookSecrets(s.read, { now: () => now });
    await secrets('acme');
    for (let i = 0; i < 20; i++) await secrets('acme', { refresh: true });
    expect(s.reads.filter((r) => r.refresh)).toHaveLength(1);
    now += REFRESH_INTERVAL_MS;
    await secrets('acme', { refresh: true });
    expect(s.reads.filter((r) => r.refresh)).toHaveLength(2);
  });
});
