/**
 * Bulk CSV exports in the exports bucket (key `exports/<jobId>.csv`; the bucket's lifecycle
 * rule expires them): the port (declared in the domain) and its constants, without the SDK. The S3 adapters live apart
 * so each function loads only what it uses: export-writer.ts (lib-storage, the bulk worker),
 * export-reader.ts (the presigner, the job routes); exports.ts has both, for tests and benches.
 */
import type { Readable } from 'node:stream';
import type { ExportReader, ExportStore, ExportWriter } from '../../domain/ports';

export type { ExportReader, ExportStore, ExportWriter };

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
export { CSV_URL_TTL_SECONDS, exportKey } from '../../domain/objects';

/** The file name is ours (`bulk-<jobId>.csv`), so quoting it needs no escaping. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename}"`;
}
