import { qrHandler } from '../../shared/qr-route';

/** GET /api/payment-links/{id}/qr.png — a QR code of the link's URL (png). */
export const handler = qrHandler('link-qr-png', 'png');
