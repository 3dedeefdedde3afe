/**
 * The S3 client, created once at module scope. Against a local emulator (AWS_ENDPOINT_URL_S3
 * set) it uses path-style URLs and sends checksums only when required: s3rver otherwise
 * stores streamed uploads with their aws-chunked framing (toolchain.md §5).
 * Less CPU per call (the webhook archives every delivery): `cacheMiddleware` resolves each
 * command's middleware stack once, not on every send, and the logger middleware goes (with no
 * logger it still walked every input and output to redact it).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { traced } from '../../tracing';

let shared: S3Client | undefined;

export function s3Client(): S3Client {
  if (!shared) {
    const local = Boolean(process.env.AWS_ENDPOINT_URL_S3);
    const client = new S3Client({
      cacheMiddleware: true,
      ...(local
        ? {
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }
        : {}),
    });
    client.middlewareStack.remove('loggerMiddleware');
    shared = traced(client);
  }
  return shared;
}
