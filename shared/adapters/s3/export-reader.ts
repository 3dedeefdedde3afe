/**
 * presignGet(key, name): a GET URL signed now, valid for a short time, that makes the browser
 * download the file (`attachment`) as text/csv.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from './client';
import { attachment, CSV_CONTENT_TYPE, CSV_URL_TTL_SECONDS, type ExportReader } from './export-store';

export class S3ExportReader implements ExportReader {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = s3Client(),
  ) {}

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
