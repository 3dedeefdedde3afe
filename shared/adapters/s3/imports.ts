/**
 * The imports bucket (architecture §4e): loans files under `loans/`, their reports beside them.
 * Named access patterns:
 * - open(key)                 GetObject as a stream (the file is never read whole), null if gone
 * - putReport(key, report)    PutObject of `<name>.report.json`
 * - presignPut(key)           a PUT URL signed now, for a browser or a script to upload one file
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ImportFiles, ImportReport } from '../../usecases/import-loans';
import { s3Client } from './client';

export const UPLOAD_URL_TTL_SECONDS = 15 * 60;

export class S3ImportFiles implements ImportFiles {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = s3Client(),
  ) {}

  async open(key: string): Promise<Readable | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body as Readable;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      throw err;
    }
  }

  async putReport(key: string, report: ImportReport): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: `${JSON.stringify(report, null, 2)}\n`,
        ContentType: 'application/json; charset=utf-8',
      }),
    );
  }

  presignPut(key: string, expiresInSeconds = UPLOAD_URL_TTL_SECONDS): Promise<string> {
    return getSignedUrl(this.s3, new PutObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
