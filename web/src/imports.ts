/**
 * The Import tab (admins; architecture §4e): choose a loans file (CSV with a header, or JSON
 * Lines), upload it with the presigned PUT that POST /api/imports hands out — a progress bar for
 * the upload (XMLHttpRequest: fetch reports no upload progress) — then follow GET
 * /api/imports/{id} with the same bar for the rows, and show the report: counts and the rows that
 * failed, each with its line, column and reason.
 */
import { ApiError, api, errorText, type ImportStatus } from './api';
import { byId, h, notify } from './dom';
import { plural } from './format';

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,119}\.(csv|jsonl)$/;
const POLL_MS = 1000;

/** A name the API takes: unsupported characters become `-` (the extension is kept). */
export function safeFileName(name: string): string | null {
  const m = /\.(csv|jsonl)$/i.exec(name);
  if (!m) return null;
  const stem = name
    .slice(0, -m[0].length)
    .replace(/[^A-Za-z0-9._ -]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 119);
  const safe = `${stem || 'loans'}.${m[1]!.toLowerCase()}`;
  return NAME_RULE.test(safe) ? safe : null;
}

/** Rows in the file: its lines, less the header for CSV (an estimate for the bar only). */
async function countRows(file: File, csv: boolean): Promise<number> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let lines = 0;
  for (const b of bytes) if (b === 0x0a) lines++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) lines++;
  return Math.max(0, csv ? lines - 1 : lines);
}

function upload(url: string, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.addEventListener('progress', (ev) => {
      if (ev.lengthComputable) onProgress(ev.loaded / ev.total);
    });
    xhr.addEventListener('load', () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new Error(`The upload was refused (HTTP ${xhr.status}). Start again.`)),
    );
    xhr.addEventListener('error', () =>
      reject(new Error('The upload did not reach the file store. Check your connection and start again.')),
    );
    xhr.send(file);
  });
}

function setBar(value: number, max: number, label: string): void {
  const bar = byId<HTMLProgressElement>('import-bar');
  bar.max = Math.max(1, max);
  bar.value = Math.min(value, bar.max);
  byId('import-state').textContent = label;
}

function showReport(s: ImportStatus): void {
  const counts = [
    `${s.rows.toLocaleString('en-IN')} ${s.rows === 1 ? 'row' : 'rows'} read`,
    `${s.created.toLocaleString('en-IN')} new`,
    `${s.updated.toLocaleString('en-IN')} changed`,
    `${s.unchanged.toLocaleString('en-IN')} unchanged`,
    `${s.failed.toLocaleString('en-IN')} failed`,
  ].join(' · ');
  byId('import-counts').textContent = counts;
  const body = byId('import-errors-body');
  body.replaceChildren(
    ...s.errors.map((e) =>
      h(
        'tr',
        {},
        h('td', { className: 'right' }, String(e.row)),
        h('td', {}, e.field),
        h('td', {}, e.message),
      ),
    ),
  );
  byId('import-errors').hidden = s.errors.length === 0;
  byId('import-errors-more').hidden = s.failed <= s.errors.length;
  byId('import-errors-more').textContent =
    `The first ${plural(s.errors.length, 'problem')} are shown; the report beside the file in the imports bucket lists them all.`;
}

async function follow(importId: string, estimate: number): Promise<void> {
  for (;;) {
    let s: ImportStatus;
    try {
      s = (await api.importStatus(importId)).data;
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) throw err;
      byId('import-state').textContent =
        `Lost contact while checking progress (${errorText(err)}); retrying…`;
      await new Promise((r) => setTimeout(r, POLL_MS * 3));
      continue;
    }
    const total = Math.max(estimate, s.rows);
    if (s.status === 'completed' || s.status === 'failed') {
      setBar(total, total, s.status === 'completed' ? 'Imported' : 'Stopped: the file could not be read on');
      showReport(s);
      notify(
        s.status === 'completed'
          ? `Import finished: ${s.created} new, ${s.updated} changed, ${s.failed} failed.`
          : 'The import stopped: see the problems below.',
        s.status === 'completed' && s.failed === 0 ? 'success' : 'error',
      );
      return;
    }
    setBar(
      s.processed,
      total,
      s.status === 'waiting'
        ? 'Waiting for the file…'
        : `Importing: ${s.processed.toLocaleString('en-IN')} of about ${total.toLocaleString('en-IN')} rows`,
    );
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function initImports(): void {
  const form = byId<HTMLFormElement>('import-form');
  const input = byId<HTMLInputElement>('import-file');
  const button = byId<HTMLButtonElement>('import-start');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const file = input.files?.[0];
    if (!file) {
      notify('Choose a loans file first (.csv or .jsonl).', 'error');
      return;
    }
    const name = safeFileName(file.name);
    if (!name) {
      notify('The file must be a .csv (with a header row) or a .jsonl file.', 'error');
      return;
    }
    button.disabled = true;
    input.disabled = true;
    byId('import-progress').hidden = false;
    byId('import-name').textContent = name;
    byId('import-counts').textContent = '';
    byId('import-errors').hidden = true;
    byId('import-errors-more').hidden = true;
    setBar(0, 1, 'Uploading…');
    void (async () => {
      try {
        const estimate = await countRows(file, name.endsWith('.csv'));
        const started = (await api.startImport(name)).data;
        await upload(started.uploadUrl, file, (f) => setBar(f, 1, `Uploading: ${Math.round(f * 100)}%`));
        setBar(0, estimate, 'Uploaded; waiting for the import to start…');
        await follow(started.importId, estimate);
      } catch (err) {
        byId('import-state').textContent = 'Not imported';
        notify(err instanceof ApiError ? errorText(err) : (err as Error).message, 'error');
      } finally {
        button.disabled = false;
        input.disabled = false;
      }
    })();
  });
}
