import type { ExportReader, ExportStore, ExportWriter } from '../../domain/ports';

export type { ExportReader, ExportStore, ExportWriter };

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
export { CSV_URL_TTL_SECONDS, exportKey } from '../../domain/objects';

/** The file name is ours (`bulk-<jobId>.csv`), so quoting it needs no escaping. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename}"`;
}
