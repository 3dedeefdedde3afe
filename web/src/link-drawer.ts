/**
 * One link, in full (architecture §4c), in a drawer opened from the links list: the link with a
 * copy button and its QR code, the payments, failed attempts and other links of the EMI, and its
 * timeline; Resend (SMS / e-mail), Extend, reminders and part payments on/off and Cancel for a
 * role that may write, each only while the link's state allows it (the API refuses the rest
 * anyway); its refunds, and Refund for an admin while surplus money is left (the dialog is
 * refund.js, loaded on first use).
 */
import type { LinkDetail } from '../../shared/schemas/link-detail';
import { can } from './access';
import { type ApiResponse, errorText, type Link, newIdempotencyKey, request } from './api';
import { accessToken } from './auth';
import { confirmDialog, h, notify, whileBusy } from './dom';
import { cancelReasonText, emiLabel, formatDateTime, formatPaise, statusLabel } from './format';
import type { RefundDialogContext, RefundModule } from './refund-api';
import { linkWithCopy, statusBadge } from './shared-ui';

type Child = Node | string | null | undefined | false;

const path = (id: string, tail = '') => `/api/payment-links/${encodeURIComponent(id)}${tail}`;

const linkApi = {
  detail: (id: string): Promise<ApiResponse<LinkDetail>> => request<LinkDetail>('GET', path(id)),
  notify: (id: string, via: 'sms' | 'email') =>
    request<LinkDetail>('POST', path(id, '/notify'), { body: { via } }),
  update: (id: string, body: { expireBy?: string; reminders?: boolean; acceptPartial?: boolean }) =>
    request<LinkDetail>('PATCH', path(id), { body }),
  cancel: (id: string) => request<Link>('POST', path(id, '/cancel')),
};

const EVENT_WORDS: Record<string, string> = {
  created: 'Created at Razorpay',
  failed: 'Razorpay refused it',
  notified: 'Sent again',
  updated: 'Changed',
  payment_failed: 'Payment attempt failed',
  partially_paid: 'Part payment received',
  paid: 'Paid',
  cancelled: 'Cancelled',
  expired: 'Expired',
  attention: 'Needs attention',
  attention_cleared: 'Attention cleared',
  refund_requested: 'Refund requested',
  refund_processed: 'Refunded',
  refund_failed: 'Refund failed',
};

// a path the bundler leaves alone: refund.js is its own file, fetched when first needed
const REFUND_URL = './refund.js';
let refundModule: Promise<RefundModule> | undefined;

function refundButton(link: LinkDetail, reload: (l?: LinkDetail) => void): HTMLElement | null {
  // EximPe links cannot be refunded here (the API answers 422): no button for them
  if (!can('admin') || link.provider === 'eximpe' || !link.attention) return null;
  if (!link.refundable.some((r) => r.left > 0)) return null;
  const btn = h('button', { type: 'button', className: 'btn', 'data-testid': 'refund' }, 'Refund…');
  btn.addEventListener('click', () => {
    refundModule ??= import(/* @vite-ignore */ REFUND_URL) as Promise<RefundModule>;
    void refundModule.then(
      (m) =>
        m.openRefundDialog({
          link,
          request: request as RefundDialogContext['request'],
          errorText,
          notify,
          whileBusy,
          newIdempotencyKey,
          done: (fresh) => reload(fresh),
        }),
      (err: unknown) => {
        refundModule = undefined;
        notify(`Could not open the refund form: ${errorText(err)}`, 'error');
      },
    );
  });
  return btn;
}

/** A PATCH toggle (reminders, part payments) of a `created` Razorpay link. */
function toggle(
  link: LinkDetail,
  field: 'reminders' | 'acceptPartial',
  on: boolean,
  reload: (l?: LinkDetail) => void,
): HTMLButtonElement {
  const what = field === 'reminders' ? 'reminders' : 'part payments';
  const btn = h(
    'button',
    { type: 'button', className: 'btn', 'data-testid': `toggle-${field}` },
    `Turn ${what} ${on ? 'off' : 'on'}`,
  );
  btn.addEventListener('click', () => {
    void whileBusy(btn, 'Saving…', async () => {
      try {
        reload((await linkApi.update(link.id, { [field]: !on })).data);
        notify(
          `${what[0]!.toUpperCase()}${what.slice(1)} ${on ? 'off' : 'on'} for link ${link.id}.`,
          'success',
        );
      } catch (err) {
        notify(`Could not change link ${link.id}: ${errorText(err)}`, 'error');
      }
    });
  });
  return btn;
}

function eventSummary(e: LinkDetail['events'][number]): string {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.amount === 'number' && e.type !== 'created') parts.push(formatPaise(d.amount));
  if (e.type === 'created' && typeof d.amount === 'number') parts.push(`for ${formatPaise(d.amount)}`);
  if (typeof d.via === 'string') parts.push(d.via === 'sms' ? 'by SMS' : 'by e-mail');
  if (typeof d.method === 'string') parts.push(`by ${d.method}`);
  if (typeof d.errorReason === 'string') parts.push(d.errorReason);
  if (typeof d.expireBy === 'string') parts.push(`expires ${formatDateTime(d.expireBy)}`);
  if (typeof d.reminders === 'boolean') parts.push(d.reminders ? 'reminders on' : 'reminders off');
  if (typeof d.acceptPartial === 'boolean')
    parts.push(d.acceptPartial ? 'part payments on' : 'part payments off');
  if (typeof d.reason === 'string')
    parts.push(
      e.type === 'cancelled' ? (cancelReasonText(d.reason) ?? d.reason) : d.reason.replaceAll('_', ' '),
    );
  return parts.join(' · ');
}

let dialog: HTMLDialogElement | undefined;
let body: HTMLElement;
let title: HTMLElement;

function ensureDialog(): HTMLDialogElement {
  if (dialog) return dialog;
  title = h('h2', { id: 'link-drawer-title' }, 'Payment link');
  const close = h('button', { type: 'button', className: 'btn', 'data-testid': 'drawer-close' }, 'Close');
  body = h('div', { className: 'drawer-body' });
  dialog = h(
    'dialog',
    { className: 'drawer', 'aria-labelledby': 'link-drawer-title', 'data-testid': 'link-drawer' },
    h('div', { className: 'drawer-head' }, title, close),
    body,
  );
  close.addEventListener('click', () => dialog?.close());
  document.body.append(dialog);
  return dialog;
}

function section(heading: string, ...children: Child[]): HTMLElement {
  return h('section', { className: 'drawer-section' }, h('h3', {}, heading), ...children);
}

/** The PNG QR code as a data: URL (the page's CSP allows images from itself and data: only). */
async function qrDataUrl(id: string): Promise<string | null> {
  const token = await accessToken();
  if (!token) return null;
  const res = await fetch(path(id, '/qr.png'), { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return null;
  const blob = await res.blob();
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : null);
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(blob);
  });
}

/** `datetime-local` value for a date (local time), and back. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function actionsFor(
  link: LinkDetail,
  reload: (l?: LinkDetail) => void,
  onChange?: (l: Link) => void,
): HTMLElement | null {
  const row = h('div', { className: 'actions drawer-actions' });
  const refund = refundButton(link, reload);
  if (refund) row.append(refund);
  if (!can('write')) return refund ? row : null;
  const open = link.status === 'created' || link.status === 'partially_paid';
  // EximPe cannot send a link again (the API would answer 422): no Resend for its links
  if (open && link.provider !== 'eximpe') {
    for (const via of ['sms', 'email'] as const) {
      const label = via === 'sms' ? 'Resend by SMS' : 'Resend by e-mail';
      const btn = h('button', { type: 'button', className: 'btn', 'data-testid': `resend-${via}` }, label);
      btn.addEventListener('click', () => {
        void whileBusy(btn, 'Sending…', async () => {
          try {
            const updated = (await linkApi.notify(link.id, via)).data;
            notify(
              `Razorpay is sending link ${link.id} again ${via === 'sms' ? 'by SMS' : 'by e-mail'}.`,
              'success',
            );
            reload(updated);
          } catch (err) {
            notify(`Could not send link ${link.id} again: ${errorText(err)}`, 'error');
          }
        });
      });
      row.append(btn);
    }
  }
  const extra: HTMLElement[] = [];
  if (link.status === 'created') {
    const current = link.expireBy ? new Date(link.expireBy) : new Date();
    const input = h('input', {
      type: 'datetime-local',
      id: 'drawer-expire',
      'data-testid': 'extend-to',
      value: localInput(new Date(Math.max(current.getTime(), Date.now()) + 3 * 86_400_000)),
    });
    const extend = h('button', { type: 'button', className: 'btn', 'data-testid': 'extend' }, 'Extend');
    extend.addEventListener('click', () => {
      const when = new Date(input.value);
      if (Number.isNaN(when.getTime())) {
        notify('Choose the new expiry date and time first.', 'error');
        return;
      }
      void whileBusy(extend, 'Saving…', async () => {
        try {
          const updated = (await linkApi.update(link.id, { expireBy: when.toISOString() })).data;
          notify(`Link ${link.id} now expires ${formatDateTime(updated.expireBy)}.`, 'success');
          onChange?.(updated);
          reload(updated);
        } catch (err) {
          notify(`Could not change link ${link.id}: ${errorText(err)}`, 'error');
        }
      });
    });
    extra.push(
      h(
        'div',
        { className: 'drawer-extend' },
        h('label', { for: 'drawer-expire' }, 'Expires at '),
        input,
        extend,
      ),
    );
    const cancel = h(
      'button',
      { type: 'button', className: 'btn btn-danger', 'data-testid': 'drawer-cancel' },
      'Cancel link',
    );
    cancel.addEventListener('click', async () => {
      const ok = await confirmDialog(
        'Cancel this payment link?',
        `The borrower will no longer be able to pay ${formatPaise(link.amount)} with ${link.shortUrl ?? link.id}. This cannot be undone.`,
        'Cancel link',
        true,
      );
      if (!ok) return;
      await whileBusy(cancel, 'Cancelling…', async () => {
        try {
          const updated = (await linkApi.cancel(link.id)).data;
          notify(`Link ${link.id} is cancelled.`, 'success');
          onChange?.(updated);
          reload();
        } catch (err) {
          notify(`Could not cancel link ${link.id}: ${errorText(err)}`, 'error');
        }
      });
    });
    row.append(cancel);
    // Razorpay's PATCH (EximPe has none); a UPI link never takes part payments
    if (link.provider !== 'eximpe') {
      row.append(toggle(link, 'reminders', link.reminders !== false, reload));
      if (!link.upiLink) row.append(toggle(link, 'acceptPartial', link.acceptPartial, reload));
    }
  }
  if (row.childElementCount === 0 && extra.length === 0) return null;
  return h('div', {}, row, ...extra);
}

function render(link: LinkDetail, reload: (l?: LinkDetail) => void, onChange?: (l: Link) => void): void {
  title.textContent = `Loan ${link.loanId} · ${emiLabel(link)}`;
  const qr = h('img', {
    className: 'drawer-qr',
    alt: `QR code of ${link.shortUrl ?? 'the link'}`,
    'data-testid': 'qr',
  });
  qr.hidden = true;
  const facts = h(
    'dl',
    { className: 'drawer-facts' },
    h('dt', {}, 'Status'),
    h('dd', {}, statusBadge(link.status)),
    h('dt', {}, 'Amount'),
    h(
      'dd',
      {},
      `${formatPaise(link.amount)}${link.amountPaid > 0 ? ` (${formatPaise(link.amountPaid)} paid)` : ''}`,
    ),
    h('dt', {}, 'Expires'),
    h('dd', {}, link.expireBy ? formatDateTime(link.expireBy) : '—'),
    h('dt', {}, 'Reminders'),
    h('dd', {}, link.reminders === null ? '—' : link.reminders ? 'on' : 'off'),
    h('dt', {}, 'Link id'),
    h('dd', { className: 'mono' }, link.id),
  );
  const captured = link.payments.filter((p) => p.status === 'captured');
  // a loan link: how each payment was split across the EMIs it covers
  const split = new Map(link.allocations.map((a) => [a.paymentId, a.emis]));
  body.replaceChildren(
    h(
      'div',
      { className: 'drawer-top' },
      h(
        'div',
        {},
        link.shortUrl ? linkWithCopy(link.shortUrl) : h('span', { className: 'muted' }, 'No URL'),
        facts,
      ),
      qr,
    ),
    actionsFor(link, reload, onChange) ?? '',
    section(
      'Timeline',
      link.events.length === 0
        ? h('p', { className: 'muted' }, 'Nothing recorded (the link predates timelines).')
        : h(
            'ol',
            { className: 'timeline', 'data-testid': 'timeline' },
            ...link.events.map((e) =>
              h(
                'li',
                { 'data-testid': 'event', 'data-type': e.type },
                h('time', { datetime: e.at }, formatDateTime(e.at)),
                ' ',
                h('strong', {}, EVENT_WORDS[e.type] ?? e.type),
                e.actor ? h('span', { className: 'muted' }, ` by ${e.actor.name}`) : null,
                eventSummary(e) ? h('div', { className: 'muted small' }, eventSummary(e)) : null,
              ),
            ),
          ),
    ),
    section(
      'Payments',
      captured.length === 0
        ? h('p', { className: 'muted' }, 'None yet.')
        : h(
            'ul',
            { 'data-testid': 'payments' },
            ...captured.map((p) =>
              h(
                'li',
                {},
                `${formatPaise(p.amount)} by ${p.method} · ${formatDateTime(p.capturedAt)} · `,
                h('span', { className: 'mono' }, p.paymentId),
                split.has(p.paymentId)
                  ? h(
                      'div',
                      { className: 'muted small', 'data-testid': 'allocation' },
                      split
                        .get(p.paymentId)!
                        .map((e) => `EMI ${e.emiNumber}: ${formatPaise(e.amount)}`)
                        .join(' · '),
                    )
                  : null,
              ),
            ),
          ),
      link.attempts.length === 0
        ? null
        : h(
            'ul',
            { className: 'muted', 'data-testid': 'attempts' },
            ...link.attempts.map((a) =>
              h(
                'li',
                {},
                `Failed: ${formatPaise(a.amount)} by ${a.method}${a.errorReason ? ` (${a.errorReason})` : ''} · ${formatDateTime(a.at)}`,
              ),
            ),
          ),
    ),
    link.refunds.length === 0
      ? ''
      : section(
          'Refunds',
          h(
            'ul',
            { 'data-testid': 'refunds' },
            ...link.refunds.map((r) =>
              h(
                'li',
                { 'data-status': r.status },
                `${formatPaise(r.amount)} of ${r.paymentId} · ${r.status}${r.external ? ' (made in Razorpay)' : ''}`,
                r.reason ? h('div', { className: 'muted small' }, r.reason) : null,
              ),
            ),
          ),
        ),
    link.siblings.length === 0
      ? ''
      : section(
          link.scope === 'loan' ? 'Other links for these EMIs' : 'Other links for this EMI',
          h(
            'ul',
            { 'data-testid': 'siblings' },
            ...link.siblings.map((s) =>
              h(
                'li',
                {},
                h('span', { className: 'mono' }, s.id),
                ` · ${formatPaise(s.amount)} · ${statusLabel(s.status)}`,
              ),
            ),
          ),
        ),
  );
  if (link.shortUrl) {
    void qrDataUrl(link.id).then((url) => {
      if (url) {
        qr.src = url;
        qr.hidden = false;
      }
    });
  }
}

/** Opens the drawer for one link; `onChange` hears of a change made here (the list row redraws). */
export async function openLinkDrawer(id: string, onChange?: (link: Link) => void): Promise<void> {
  const d = ensureDialog();
  title.textContent = 'Payment link';
  body.replaceChildren(
    h('p', { className: 'muted' }, h('span', { className: 'spinner', 'aria-hidden': 'true' }), 'Loading…'),
  );
  if (!d.open) d.showModal();
  const reload = (fresh?: LinkDetail) => {
    if (fresh) {
      render(fresh, reload, onChange);
      return;
    }
    void linkApi.detail(id).then(
      (res) => render(res.data, reload, onChange),
      (err: unknown) =>
        body.replaceChildren(h('p', { className: 'warn' }, `Could not load link ${id}: ${errorText(err)}`)),
    );
  };
  reload();
}
