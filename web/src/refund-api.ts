/**
 * What the refund dialog module (refund.ts, bundled on its own as refund.js) offers. The drawer
 * loads it only when an admin presses Refund, so the page's script stays within its budget. It
 * gets the page's own request, messages and busy buttons passed in: a second copy of them would
 * have no access token and its own message timer.
 */
import type { LinkDetail } from '../../shared/schemas/link-detail';

export interface RefundDialogContext {
  link: LinkDetail;
  request: (
    method: 'POST',
    path: string,
    opts: { body: unknown; headers: Record<string, string> },
  ) => Promise<{ data: { link: LinkDetail; refund: LinkDetail['refunds'][number] } }>;
  errorText: (err: unknown) => string;
  notify: (message: string, kind?: 'info' | 'success' | 'error') => void;
  whileBusy: <T>(button: HTMLButtonElement, label: string, fn: () => Promise<T>) => Promise<T>;
  newIdempotencyKey: () => string;
  /** the link after the refund: the drawer shows it */
  done: (link: LinkDetail) => void;
}

export interface RefundModule {
  openRefundDialog(ctx: RefundDialogContext): void;
}
