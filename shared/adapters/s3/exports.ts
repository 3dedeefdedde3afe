/**
 * Bulk CSV exports in the exports bucket (key `exports/<jobId>.csv`; the bucket's lifecycle
 * rule expires them). Named access patterns:
 * - upload(key, body)        lib-storage Upload: a streamed body goes up in 5 MB parts
 *                            (multipart above one part), so memory stays flat whatever the size
 * - presignGet(key, name)    a GET URL signed now, valid for a short time, that makes the
 *                            browser download the file (`attachment`) as text/csv
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from './client';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
/** Presigned URLs live this long; the job route signs a new one on every call. */
export const CSV_URL_TTL_SECONDS = 15 * 60;

export function exportKey(jobId: string): string {
  return `exports/${jobId}.csv`;
}

export interface ExportStore {
  upload(key: string, body: Readable, filename: string): Promise<void>;
  presignGet(key: string, filename: string, expiresInSeconds?: number): Promise<string>;
}

export class S3ExportStore implements ExportStore {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = s3Client(),
  ) {}

  async upload(key: string, body: Readable, filename: string): Promise<void> {
    const upload = new Upload({
      client: this.s3,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: CSV_CONTENT_TYPE,
        ContentDisposition: attachment(filename),
      },
      // two 5 MB parts in flight at most: the writer's memory is bounded by this, not by the rows
      queueSize: 2,
      partSize: 5 * 1024 * 1024,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  presignGet(key: string, filename: string, expiresInSeconds = CSV_URL_TTL_SECONDS): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentDisposition: attachment(filename),
        ResponseContentType: CSV_CONTENT_TYPE,
      }),
      { expiresIn: expiresInSeconds },
    );
  }
}

/** The file name is ours (`bulk-<jobId>.csv`), so quoting it needs no escaping. */
function attachment(filename: string): string {
  return `attachment; filename="${filename}"`;
}
