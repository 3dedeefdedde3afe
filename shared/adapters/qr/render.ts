/**
 * QR codes of link URLs, drawn by `qrcode` (node-qrcode: the widely used, maintained QR encoder).
 * Medium error correction (15%): survives a smudged print at the branch counter, and a short URL
 * still fits a small symbol. The image depends on the URL alone, so it is cached by its hash.
 */
import { createHash } from 'node:crypto';
import QRCode from 'qrcode';

export type QrFormat = 'svg' | 'png';

export const QR_CONTENT_TYPES: Record<QrFormat, string> = {
  svg: 'image/svg+xml',
  png: 'image/png',
};

const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

export async function renderQr(text: string, format: QrFormat): Promise<string | Buffer> {
  if (format === 'svg') return QRCode.toString(text, { ...OPTIONS, type: 'svg' });
  return QRCode.toBuffer(text, { ...OPTIONS, type: 'png', width: 480 });
}

/** A strong ETag for the image of `text` in `format` (same URL, same bytes). */
export function qrEtag(text: string, format: QrFormat): string {
  return `"${createHash('sha256').update(`${format}\n${text}`).digest('base64url').slice(0, 27)}"`;
}
