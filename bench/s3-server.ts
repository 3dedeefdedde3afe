/**
 * The S3 emulator in a process of its own, for bench/webhook.ts: on AWS, S3 is not the
 * receiver's CPU, so the benchmark keeps the emulator's share out of the receiver's process
 * (and reports it apart). Prints `ready` once it listens; stops on SIGTERM.
 * Usage: tsx bench/s3-server.ts <port> <directory>
 */
import { startS3 } from '../local/aws-local';

const [port, directory] = process.argv.slice(2);
const s3 = await startS3({ port: Number(port), directory: directory! });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void s3.stop().finally(() => process.exit(0));
});
