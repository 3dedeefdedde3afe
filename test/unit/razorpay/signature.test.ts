import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  loadWebhookSecrets,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../../shared/adapters/razorpay/signature';
import { ConfigError } from '../../../shared/domain/errors';

interface Vectors {
  signature_test_vectors: { webhook: { secret: string; raw_body: string; x_razorpay_signature: string } };
}
const samples = JSON.parse(
  readFileSync(new URL('./fixtures/razorpay-samples.json', import.meta.url), 'utf8'),
) as Vectors;
const vector = samples.signature_test_vectors.webhook;

describe('verifyWebhookSignature', () => {
  it("verifies Razorpay's published test vector (secret 123456) over the raw body", () => {
    expect(verifyWebhookSignature(vector.raw_body, vector.x_razorpay_signature, [vector.secret])).toBe(true);
    expect(
      verifyWebhookSignature(Buffer.from(vector.raw_body), vector.x_razorpay_signature, [vector.secret]),
    ).toBe(true);
  });

  it('signWebhookBody reproduces the vector', () => {
    expect(signWebhookBody(vector.raw_body, vector.secret)).toBe(vector.x_razorpay_signature);
  });

  it('rejects a tampered body, including a re-serialised one', () => {
    const tampered = vector.raw_body.replace('"amount":12300', '"amount":12301');
    expect(verifyWebhookSignature(tampered, vector.x_razorpay_signature, [vector.secret])).toBe(false);
    const reserialised = JSON.stringify(JSON.parse(vector.raw_body), null, 1);
    expect(verifyWebhookSignature(reserialised, vector.x_razorpay_signature, [vector.secret])).toBe(false);
  });

  it('rejects a wrong secret', () => {
    expect(verifyWebhookSignature(vector.raw_body, vector.x_razorpay_signature, ['654321'])).toBe(false);
  });

  it('rejects a missing, empty, non-hex or wrong-length header without throwing', () => {
    const secrets = [vector.secret];
    expect(verifyWebhookSignature(vector.raw_body, undefined, secrets)).toBe(false);
    expect(verifyWebhookSignature(vector.raw_body, '', secrets)).toBe(false);
    expect(verifyWebhookSignature(vector.raw_body, 'z'.repeat(64), secrets)).toBe(false);
    expect(verifyWebhookSignature(vector.raw_body, vector.x_razorpay_signature.slice(0, 62), secrets)).toBe(
      false,
    );
    expect(verifyWebhookSignature(vector.raw_body, `${vector.x_razorpay_signature}00`, secrets)).toBe(false);
    expect(verifyWebhookSignature(vector.raw_body, 'sha256=abc', secrets)).toBe(false);
  });

  it('rejects everything when no secret is configured', () => {
    expect(verifyWebhookSignature(vector.raw_body, vector.x_razorpay_signature, [])).toBe(false);
    expect(verifyWebhookSignature(vector.raw_body, signWebhookBody(vector.raw_body, ''), [''])).toBe(false);
  });

  it('accepts the previous secret during a rotation, whichever order the secrets come in', () => {
    const body = Buffer.from('{"event":"payment.captured"}');
    const oldSignature = signWebhookBody(body, 'old-secret');
    expect(verifyWebhookSignature(body, oldSignature, ['new-secret', 'old-secret'])).toBe(true);
    expect(verifyWebhookSignature(body, oldSignature, ['old-secret', 'new-secret'])).toBe(true);
    expect(verifyWebhookSignature(body, oldSignature, ['new-secret'])).toBe(false);
  });
});

describe('loadWebhookSecrets', () => {
  const sm = mockClient(SecretsManagerClient);
  const saved = { ...process.env };
  // one secret per test: the secrets cache lives as long as the process, as on Lambda
  let secretNumber = 0;
  let webhookArn = '';

  beforeEach(() => {
    sm.reset();
    webhookArn = `arn:aws:secretsmanager:ap-south-1:123:secret:webhook-${++secretNumber}`;
    for (const name of [
      'RAZORPAY_WEBHOOK_SECRET_ARN',
      'RAZORPAY_WEBHOOK_SECRET',
      'RAZORPAY_WEBHOOK_SECRET_PREVIOUS',
    ]) {
      delete process.env[name];
    }
  });
  afterEach(() => {
    process.env = { ...saved };
    vi.useRealTimers();
  });

  it('reads the current and previous secret from the environment', async () => {
    process.env.RAZORPAY_WEBHOOK_SECRET = 'env-current';
    expect(await loadWebhookSecrets()).toEqual(['env-current']);
    process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS = 'env-previous';
    expect(await loadWebhookSecrets()).toEqual(['env-current', 'env-previous']);
  });

  it('fails with a ConfigError naming the variable when nothing is configured', async () => {
    await expect(loadWebhookSecrets()).rejects.toThrow(ConfigError);
    await expect(loadWebhookSecrets()).rejects.toThrow(/RAZORPAY_WEBHOOK_SECRET/);
  });

  it('reads {current, previous} from Secrets Manager and caches it for the TTL', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-22T10:00:00Z'));
    process.env.RAZORPAY_WEBHOOK_SECRET_ARN = webhookArn;
    sm.on(GetSecretValueCommand, { SecretId: process.env.RAZORPAY_WEBHOOK_SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ current: 'sm-current', previous: 'sm-previous' }),
    });

    expect(await loadWebhookSecrets()).toEqual(['sm-current', 'sm-previous']);
    expect(await loadWebhookSecrets()).toEqual(['sm-current', 'sm-previous']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: 'sm-rotated' }) });
    vi.setSystemTime(new Date('2026-11-22T10:00:59Z'));
    expect(await loadWebhookSecrets()).toEqual(['sm-current', 'sm-previous']);
    vi.setSystemTime(new Date('2026-11-22T10:01:01Z'));
    expect(await loadWebhookSecrets()).toEqual(['sm-rotated']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('shares one Secrets Manager call between concurrent cold readers and does not cache a failure', async () => {
    process.env.RAZORPAY_WEBHOOK_SECRET_ARN = webhookArn;
    sm.on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({
        SecretString: JSON.stringify({ current: 'sm-current' }),
      });
    await expect(loadWebhookSecrets()).rejects.toThrow('throttled');
    const [a, b] = await Promise.all([loadWebhookSecrets(), loadWebhookSecrets()]);
    expect(a).toEqual(['sm-current']);
    expect(b).toEqual(['sm-current']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails with a ConfigError that does not echo a malformed secret', async () => {
    process.env.RAZORPAY_WEBHOOK_SECRET_ARN = webhookArn;
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"curent":"typo-secret-value"}' });
    const err = await loadWebhookSecrets().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toContain('"current"');
    expect(String((err as Error).message)).not.toContain('typo-secret-value');
  });
});
