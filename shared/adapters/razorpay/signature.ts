/** Loading the webhook secrets (env or Secrets Manager); the signature rule itself is in the domain. */
import { env, envOptional } from '../../config';
import { readSecretJson, secretField } from '../secrets/secret-json';

export { signWebhookBody, verifyWebhookSignature } from '../../domain/webhook-signature';

/**
 * The webhook secrets to accept, current first: from Secrets Manager when
 * `RAZORPAY_WEBHOOK_SECRET_ARN` is set (JSON `{current, previous?}`, cached with a TTL), else
 * `RAZORPAY_WEBHOOK_SECRET` and the optional `RAZORPAY_WEBHOOK_SECRET_PREVIOUS`.
 */
export async function loadWebhookSecrets(options: { refresh?: boolean } = {}): Promise<string[]> {
  const arn = envOptional('RAZORPAY_WEBHOOK_SECRET_ARN');
  if (arn === undefined) {
    const previous = envOptional('RAZORPAY_WEBHOOK_SECRET_PREVIOUS');
    return previous === undefined
      ? [env('RAZORPAY_WEBHOOK_SECRET')]
      : [env('RAZORPAY_WEBHOOK_SECRET'), previous];
  }
  const secret = await readSecretJson(arn, 'RAZORPAY_WEBHOOK_SECRET_ARN', options);
  const current = secretField(secret, 'current', 'RAZORPAY_WEBHOOK_SECRET_ARN');
  const previous = secret.previous;
  return typeof previous === 'string' && previous !== '' && previous !== current
    ? [current, previous]
    : [current];
}
