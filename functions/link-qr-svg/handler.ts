import { qrHandler } from '../../shared/qr-route';

/** GET /api/payment-links/{id}/qr.svg — a QR code of the link's URL (svg). */
export const handler = qrHandler('link-qr-svg', 'svg');
