/**
 * upload(key, body): lib-storage Upload — a streamed body goes up in 5 MB parts (multipart
 * above one part), so memory stays flat whatever the size.
 */
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { s3Client } from './client';
import { attachment, CSV_CONTENT_TYPE, type ExportWriter } from './export-store';

export class S3ExportWriter implements ExportWriter {
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
}
