/**
 * The QR routes (qr.svg, qr.png): one image per link URL, which never changes, so the answer is
 * cacheable — privately (it sits behind a token) for a day, with an ETag that a revalidation
 * answers 304 without drawing anything.
 */
import { QR_CONTENT_TYPES, type QrFormat, qrEtag, renderQr } from './adapters/qr/render';
import type { Actor } from './auth/actor';
import { httpRoute } from './http/route';
import { linkQrTarget } from './usecases/link-detail';
import { linkIdPathSchema } from './usecases/manage-link';
import { type Stores, stores } from './wiring';

export const QR_CACHE_CONTROL = 'private, max-age=86400';

export async function main(
  deps: Pick<Stores, 'links'>,
  actor: Actor,
  id: string,
  format: QrFormat,
  ifNoneMatch?: string,
) {
  const url = await linkQrTarget(deps, id, actor);
  const etag = qrEtag(url, format);
  const headers = { etag, 'cache-control': QR_CACHE_CONTROL, vary: 'authorization' };
  if (ifNoneMatch?.split(',').some((t) => t.trim() === etag)) {
    return { statusCode: 304, headers, content: { type: QR_CONTENT_TYPES[format], body: '' } };
  }
  return {
    statusCode: 200,
    headers,
    content: { type: QR_CONTENT_TYPES[format], body: await renderQr(url, format) },
  };
}

export function qrHandler(routeId: string, format: QrFormat) {
  return httpRoute(routeId, { path: linkIdPathSchema }, (req) =>
    main(stores(), req.actor, req.path.id, format, req.headers['if-none-match']),
  );
}
