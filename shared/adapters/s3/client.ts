/**
 * The S3 client, created once at module scope. Against a local emulator (AWS_ENDPOINT_URL_S3
 * set) it uses path-style URLs and sends checksums only when required: s3rver otherwise
 * stores streamed uploads with their aws-chunked framing (toolchain.md §5).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { traced } from '../../tracing';

let shared: S3Client | undefined;

export function s3Client(): S3Client {
  const local = Boolean(process.env.AWS_ENDPOINT_URL_S3);
  shared ??= traced(
    new S3Client(
      local
        ? {
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }
        : {},
    ),
  );
  return shared;
}
