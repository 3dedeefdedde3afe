/**
 * `npm run sandbox`: the Razorpay sandbox on its own. Keys and the webhook secret come from the
 * same variables the app reads (RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET),
 * webhooks go to the local API (PORT, default 3000) unless RAZORPAY_SANDBOX_WEBHOOK_URL says otherwise.
 */
import { SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET } from './defaults';
import { startSandbox } from './server';

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

const apiPort = env('PORT') ?? '3000';
const sandbox = await startSandbox({
  host: env('RAZORPAY_SANDBOX_HOST'),
  keyId: env('RAZORPAY_KEY_ID') ?? SANDBOX_KEY_ID,
  keySecret: env('RAZORPAY_KEY_SECRET') ?? SANDBOX_KEY_SECRET,
  webhookSecret: env('RAZORPAY_WEBHOOK_SECRET') ?? SANDBOX_WEBHOOK_SECRET,
  webhookUrl: env('RAZORPAY_SANDBOX_WEBHOOK_URL') ?? `http://127.0.0.1:${apiPort}/webhooks/razorpay`,
  publicBaseUrl: env('RAZORPAY_SANDBOX_PUBLIC_URL'),
});

console.log(`Razorpay sandbox listening on ${sandbox.url}
  API (point the SDK's baseURL here): ${sandbox.url}/v1/payment_links   key ${sandbox.keyId}
  pay pages:                          ${sandbox.publicBaseUrl}/rzp/<code>
  control API:                        ${sandbox.url}/_sandbox/config, /_sandbox/webhooks, /_sandbox/payment_links
  webhooks to:                        ${sandbox.config.webhookUrl || '(off)'}
Ctrl-C stops it.`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the Razorpay sandbox`);
  sandbox.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
