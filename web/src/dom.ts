/**
 * Small DOM helpers: element building (text is always set as text, never parsed as HTML),
 * the status region, busy buttons, copying to the clipboard and the confirmation dialog.
 */

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'className') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

// ---- status messages (aria-live) ----

export type NoticeKind = 'info' | 'success' | 'error';

let noticeTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Shows one message in the page's live region. Errors stay until dismissed or replaced;
 * other messages fade after a while. Errors go to the assertive (role=alert) region.
 */
export function notify(message: string, kind: NoticeKind = 'info', keepClear?: Element | null): void {
  const status = byId('status');
  const alert = byId('alert');
  clearTimeout(noticeTimer);
  // the live regions stay in the page (an added region is often not announced); only their text changes
  const target = kind === 'error' ? alert : status;
  (kind === 'error' ? status : alert).replaceChildren();
  const close = h(
    'button',
    { type: 'button', className: 'notice-close', 'aria-label': 'Dismiss message' },
    '×',
  );
  close.addEventListener('click', () => target.replaceChildren());
  target.replaceChildren(
    h(
      'div',
      { className: `notice notice-${kind}`, 'data-testid': `notice-${kind}` },
      h('p', {}, message),
      close,
    ),
  );
  if (kind !== 'error') noticeTimer = setTimeout(() => target.replaceChildren(), 8000);
  if (keepClear) requestAnimationFrame(() => scrollClearOf(keepClear, target));
}

/**
 * The message floats at the bottom of the window: when it covers `el` (the row whose link and
 * Copy button the person needs next), the page scrolls so `el` sits just above it.
 */
export function scrollClearOf(el: Element, toast: Element): void {
  const box = toast.firstElementChild?.getBoundingClientRect();
  if (!box || !el.isConnected) return;
  const r = el.getBoundingClientRect();
  const overlaps = r.bottom > box.top && r.top < box.bottom && r.right > box.left && r.left < box.right;
  if (overlaps) window.scrollBy({ top: r.bottom - box.top + 12, behavior: 'instant' });
}

// ---- busy buttons: nothing is sent twice by a double click ----

export async function whileBusy<T>(
  button: HTMLButtonElement,
  busyLabel: string,
  fn: () => Promise<T>,
): Promise<T> {
  const label = button.textContent ?? '';
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyLabel;
  try {
    return await fn();
  } finally {
    if (button.isConnected) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
    }
  }
}

// ---- clipboard ----

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // permission denied or not focused: fall back below
  }
  const area = h('textarea', { readonly: true, className: 'offscreen', 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** A "Copy" button for a URL; says what happened in the live region. */
export function copyButton(text: string, what = 'link'): HTMLButtonElement {
  const btn = h(
    'button',
    {
      type: 'button',
      className: 'btn btn-small',
      'data-testid': 'copy',
      'aria-label': `Copy ${what} ${text}`,
    },
    'Copy',
  );
  btn.addEventListener('click', async () => {
    const ok = await copyText(text);
    if (ok) {
      btn.textContent = 'Copied';
      setTimeout(() => {
        btn.textContent = 'Copy';
      }, 1500);
      notify(`Copied ${text}`, 'success');
    } else {
      notify(`Could not copy automatically. Select the link and copy it: ${text}`, 'error');
    }
  });
  return btn;
}

// ---- confirmation dialog ----

/** Asks with the page's <dialog>; resolves true only on the confirm button. */
export function confirmDialog(
  title: string,
  message: string,
  confirmLabel: string,
  danger = false,
): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  if (typeof dialog.showModal !== 'function')
    return Promise.resolve(window.confirm(`${title}\n\n${message}`));
  byId('confirm-title').textContent = title;
  byId('confirm-message').textContent = message;
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.textContent = confirmLabel;
  ok.className = danger ? 'btn btn-danger' : 'btn btn-primary';
  dialog.returnValue = '';
  dialog.showModal();
  byId<HTMLButtonElement>('confirm-cancel').focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}
