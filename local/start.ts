/**
 * `npm start`: the whole system on this machine, with demo data. Ctrl-C stops everything.
 */
import { JavaMissingError } from './aws-local';
import { startSystem } from './system';

const started = Date.now();
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  say(`Starting EMI Payment Links on Node ${process.version}…`);
  const system = await startSystem({ persist: process.env.LOCAL_PERSIST === '1', log: say });
  say('');
  say(`EMI Payment Links is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  say(`  web page + API    ${system.url}/`);
  say(`  pending EMIs      ${system.url}/api/payment-links/pending-emis`);
  say(`  webhook           ${system.url}/webhooks/razorpay`);
  if (system.sandboxUrl)
    say(`  Razorpay sandbox  ${system.sandboxUrl}  (control: ${system.sandboxUrl}/_sandbox/config)`);
  say(`  DynamoDB Local    ${system.dynamodbEndpoint}`);
  say(`  S3 emulator       ${system.s3Endpoint}  (credentials S3RVER/S3RVER)`);
  say('Press Ctrl-C to stop.');
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
      `\nA port is already in use (${(err as Error).message}). Stop the other process or set PORT, RAZORPAY_SANDBOX_PORT, DYNAMODB_PORT or S3_PORT.\n`,
    );
  } else {
    process.stderr.write(`\nCould not start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
