/**
 * `npm start`: the whole system on this machine, with demo data. Ctrl-C stops everything.
 */
import { identitiesTable } from './auth/identities';
import { JavaMissingError } from './aws-local';
import { type System, startSystem } from './system';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** who can log in, and a curl line that gets a machine token (architecture §4a) */
function sayIdentity(system: System) {
  const { auth } = system;
  if (!auth.local) {
    say(`  identity provider ${auth.issuer}  (AUTH_ISSUER; accepted clients: ${auth.clientIds.join(', ')})`);
    return;
  }
  say(
    `  identity provider ${auth.issuer}  (OpenID Connect; ${auth.issuer}/.well-known/openid-configuration)`,
  );
  say('');
  say('Demo identities (log in on the page as a user; clients get tokens with client credentials):');
  for (const line of identitiesTable(system.url)) say(`  ${line}`);
  say('');
  say('A token for the API (client demo-ops), then a call with it:');
  say(
    `  TOKEN=$(curl -s -u demo-ops:demo-ops-secret -d grant_type=client_credentials ${auth.tokenEndpoint} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
  );
  say(`  curl -H "Authorization: Bearer $TOKEN" ${system.url}/api/lenders`);
}

async function main() {
  const port = process.env.PORT ?? '3000';
  say(
    `Starting EMI Payment Links on Node ${process.version}… (http://localhost:${port} answers 503 until ready)`,
  );
  const system = await startSystem({ persist: process.env.LOCAL_PERSIST === '1', log: say });
  // since this process started: module loading included
  const readyMs = performance.now();
  const demo = system.demo
    ? ` with demo data: ${system.demo.loans} loans, ${system.demo.emis.toLocaleString('en-US')} EMIs, ${system.demo.lenders} lenders`
    : ' (no demo data)';
  say('');
  say(`EMI Payment Links is ready in ${(readyMs / 1000).toFixed(1)} s${demo}`);
  say(`  web page + API    ${system.url}/`);
  say(`  API description   ${system.url}/api/openapi.json`);
  say(`  pending EMIs      ${system.url}/api/payment-links/pending-emis`);
  say(`  webhook           ${system.url}/webhooks/razorpay`);
  if (system.demo?.accounts) {
    say(
      `  payment accounts  default: /webhooks/razorpay, sahyadri: /webhooks/razorpay/sahyadri${
        system.eximpe ? ', deccan (EximPe): /webhooks/eximpe/deccan' : ''
      }`,
    );
  }
  if (system.sandboxUrl)
    say(`  Razorpay sandbox  ${system.sandboxUrl}  (control: ${system.sandboxUrl}/_sandbox/config)`);
  if (system.eximpeSandboxUrl)
    say(
      `  EximPe sandbox    ${system.eximpeSandboxUrl}  (control: ${system.eximpeSandboxUrl}/_sandbox/config)`,
    );
  say(`  DynamoDB Local    ${system.dynamodbEndpoint}`);
  say(`  S3 emulator       ${system.s3Endpoint}  (credentials S3RVER/S3RVER)`);
  sayIdentity(system);
  say('');
  say('Press Ctrl-C to stop.');
  // `npm run bench -- startup` runs this as a child and reads where the time went
  process.send?.({ type: 'ready', readyMs, startup: system.startup });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping…`);
    await system.stop();
    say('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  if (err instanceof JavaMissingError) {
    process.stderr.write(`\n${err.message}\n`);
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(
      `\nA port is already in use (${(err as Error).message}). Stop the other process or set PORT, RAZORPAY_SANDBOX_PORT, DYNAMODB_PORT, S3_PORT or AUTH_PORT.\n`,
    );
  } else {
    process.stderr.write(`\nCould not start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
