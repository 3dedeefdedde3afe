/**
 * Bulk CSV exports in the exports bucket (key `exports/<jobId>.csv`; the bucket's lifecycle
 * rule expires them): the port and its constants, without the SDK. The S3 adapters live apart
 * so each function loads only what it uses: export-writer.ts (lib-storage, the bulk worker),
 * export-reader.ts (the presigner, the job routes); exports.ts has both, for tests and benches.
 */
import type { Readable } from 'node:stream';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
/** Presigned URLs live this long; the job route signs a new one on every call. */
export const CSV_URL_TTL_SECONDS = 15 * 60;

export function exportKey(jobId: string): string {
  return `exports/${jobId}.csv`;
}

export interface ExportWriter {
  upload(key: string, body: Readable, filename: string): Promise<void>;
}

export interface ExportReader {
  presignGet(key: string, filename: string, expiresInSeconds?: number): Promise<string>;
}

export interface ExportStore extends ExportWriter, ExportReader {}

/** The file name is ours (`bulk-<jobId>.csv`), so quoting it needs no escaping. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename}"`;
}
