/** Pieces both tabs draw: status badges, link cells, table states and the lender selects. */
import { api, errorText } from './api';
import { copyButton, h } from './dom';
import { statusLabel } from './format';

export function statusBadge(status: string): HTMLElement {
  return h(
    'span',
    { className: `badge badge-${status.replace(/[^a-z_]/g, '')}`, 'data-testid': 'status' },
    statusLabel(status),
  );
}

/** The link URL (opens in a new tab, no opener) with a copy button. */
export function linkWithCopy(url: string): HTMLElement {
  return h(
    'span',
    { className: 'link-cell' },
    h(
      'a',
      {
        href: url,
        target: '_blank',
        rel: 'noopener noreferrer',
        className: 'link-url',
        'data-testid': 'link-url',
      },
      url,
    ),
    copyButton(url),
  );
}

/** One full-width row saying "loading…", "nothing here" or what went wrong. */
export function messageRow(
  columns: number,
  text: string,
  kind: 'loading' | 'empty' | 'error',
): HTMLTableRowElement {
  return h(
    'tr',
    { className: `state-row state-${kind}`, 'data-testid': `state-${kind}` },
    h(
      'td',
      { colspan: columns },
      kind === 'loading' ? h('span', { className: 'spinner', 'aria-hidden': 'true' }) : null,
      text,
    ),
  );
}

type Child = Node | string | null | undefined | false;

/**
 * A table cell with the column name for the phone layout (cards). The content is wrapped in
 * one element so the card's label/value grid has exactly two items.
 */
export function cell(label: string, ...children: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': label }, h('div', { className: 'cell' }, ...children));
}

/** A right-aligned (amount) cell. */
export function amountCell(label: string, ...children: Child[]): HTMLTableCellElement {
  const td = cell(label, ...children);
  td.className = 'right';
  return td;
}

let lendersPromise: Promise<string[]> | undefined;

/** Fills every lender select once from GET /api/lenders ("All lenders" stays first). */
export function loadLenders(selects: HTMLSelectElement[], onError: (message: string) => void): Promise<void> {
  lendersPromise ??= api.lenders().then((r) => r.data.lenders);
  return lendersPromise.then(
    (lenders) => {
      for (const select of selects) {
        const chosen = select.value;
        select.replaceChildren(
          h('option', { value: '' }, 'All lenders'),
          ...lenders.map((l) => h('option', { value: l }, l)),
        );
        select.value = chosen;
      }
    },
    (err: unknown) => {
      lendersPromise = undefined;
      onError(`Could not load the list of lenders: ${errorText(err)}`);
    },
  );
}
