/**
 * The header's search box (architecture §4d, GET /api/search): a loan id, a phone number, a
 * name or a link id. Each result opens the Generated Links tab for that loan.
 */
import { api, errorText } from './api';
import { byId, h } from './dom';
import { statusLabel } from './format';

export function initSearch(openLoan: (loanId: string) => void): void {
  const form = byId<HTMLFormElement>('search-form');
  const input = byId<HTMLInputElement>('search-q');
  const box = byId('search-results');
  const close = () => {
    box.hidden = true;
    box.replaceChildren();
  };
  byId('search').hidden = false;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (q.length < 3) {
      box.hidden = false;
      box.replaceChildren(
        h('p', { className: 'small' }, 'Type at least 3 characters (4 digits of a phone).'),
      );
      return;
    }
    void api
      .search(q)
      .then(({ data }) => {
        box.hidden = false;
        if (data.items.length === 0) {
          box.replaceChildren(
            h('p', { className: 'small', 'data-testid': 'search-none' }, `Nothing found for “${q}”.`),
          );
          return;
        }
        box.replaceChildren(
          h(
            'ul',
            { 'aria-label': 'Search results' },
            ...data.items.map((r) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    className: 'search-hit',
                    'data-testid': 'search-hit',
                    'data-loan': r.loanId,
                    onclick: () => {
                      close();
                      openLoan(r.loanId);
                    },
                  },
                  h('strong', {}, r.loanId),
                  ` · ${r.clientName} · ${r.phone} · ${r.lender}`,
                  r.kind === 'link' ? ` · link ${r.linkId} (${statusLabel(r.status ?? '')})` : '',
                ),
              ),
            ),
          ),
        );
      })
      .catch((err) => {
        box.hidden = false;
        box.replaceChildren(h('p', { className: 'small error' }, errorText(err)));
      });
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') close();
  });
}
