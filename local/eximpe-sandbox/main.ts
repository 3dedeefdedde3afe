/**
 * `npm run sandbox:eximpe`: the EximPe sandbox on its own, on EXIMPE_SANDBOX_PORT (4030). Its first
 * merchant's webhooks go to EXIMPE_SANDBOX_WEBHOOK_URL (default: the local API's
 * /webhooks/eximpe/deccan on PORT, 3000), signed with the demo's deccan secret.
 */
import {
  EXIMPE_DECCAN_CLIENT_ID,
  EXIMPE_DECCAN_CLIENT_SECRET,
  EXIMPE_DECCAN_WEBHOOK_SECRET,
  EXIMPE_SANDBOX_DEFAULT_PORT,
  startEximpeSandbox,
} from './server';

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

const port = Number(env('EXIMPE_SANDBOX_PORT') ?? EXIMPE_SANDBOX_DEFAULT_PORT);
const sandbox = await startEximpeSandbox({
  port,
  clientId: EXIMPE_DECCAN_CLIENT_ID,
  clientSecret: EXIMPE_DECCAN_CLIENT_SECRET,
  webhookSecret: EXIMPE_DECCAN_WEBHOOK_SECRET,
  webhookUrl:
    env('EXIMPE_SANDBOX_WEBHOOK_URL') ?? `http://127.0.0.1:${env('PORT') ?? '3000'}/webhooks/eximpe/deccan`,
  publicBaseUrl: `http://localhost:${port}`,
});
console.log(`EximPe sandbox listening on ${sandbox.url}
  API:         ${sandbox.url}/pg/payment-links/   (X-Client-ID ${sandbox.clientId})
  pay pages:   ${sandbox.publicBaseUrl}/pay/<payment_id>/
  control API: ${sandbox.url}/_sandbox/config, /_sandbox/webhooks, /_sandbox/payment_links
  webhooks to: ${sandbox.config.webhookUrl || '(off)'}
Ctrl-C stops it.`);
const stop = () => {
  sandbox.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
