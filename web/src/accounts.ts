/**
 * The Accounts view (admins only): each payment account with its lenders and the webhook URL to
 * paste into Razorpay's Dashboard; add or replace one; rotate its webhook secret. Secrets go to
 * the API once and are never shown again (the API never answers them).
 */
import { api, errorText, type PaymentAccount } from './api';
import { byId, copyButton, h, notify, whileBusy } from './dom';
import { formatDateTime } from './format';

function row(account: PaymentAccount): HTMLTableRowElement {
  const rotate = h(
    'button',
    { type: 'button', className: 'btn btn-small', 'data-testid': `rotate-${account.accountId}` },
    'Rotate',
  );
  rotate.addEventListener('click', () => {
    const secret = window.prompt(
      `New webhook secret for ${account.accountId} (set the same in Razorpay's Dashboard)`,
    );
    if (!secret) return;
    void whileBusy(rotate, 'Rotating…', async () => {
      try {
        await api.rotateWebhookSecret(account.accountId, secret);
        notify(
          `Webhook secret of ${account.accountId} rotated: the previous one keeps working for 24 hours.`,
          'success',
        );
        await reloadAccounts();
      } catch (err) {
        notify(errorText(err), 'error');
      }
    });
  });
  return h(
    'tr',
    { 'data-testid': `account-${account.accountId}` },
    h('td', {}, account.accountId),
    h('td', {}, account.name),
    h('td', {}, account.provider === 'eximpe' ? 'EximPe' : 'Razorpay'),
    h('td', {}, account.keyId),
    h('td', {}, account.lenders.join(', ') || '—'),
    h('td', {}, h('code', {}, account.webhookUrl), ' ', copyButton(account.webhookUrl, 'webhook URL')),
    h('td', {}, `set ${formatDateTime(account.webhookSecretSetAt)} `, rotate),
  );
}

export async function reloadAccounts(): Promise<void> {
  const rows = byId('accounts-rows');
  try {
    const { data } = await api.accounts();
    rows.replaceChildren(...data.items.map(row));
  } catch (err) {
    notify(`Could not load the payment accounts: ${errorText(err)}`, 'error');
  }
}

export function initAccounts(): void {
  const form = byId<HTMLFormElement>('account-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const field = (id: string) => byId<HTMLInputElement>(id).value.trim();
    const accountId = field('account-id');
    const eximpe = byId<HTMLSelectElement>('account-provider').value === 'eximpe';
    const keyId = field('account-key-id');
    const keySecret = byId<HTMLInputElement>('account-key-secret').value;
    const body = {
      name: field('account-name'),
      ...(eximpe
        ? { provider: 'eximpe' as const, clientId: keyId, clientSecret: keySecret }
        : { provider: 'razorpay' as const, keyId, keySecret }),
      webhookSecret: byId<HTMLInputElement>('account-webhook-secret').value,
      lenders: field('account-lenders')
        .split(',')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    };
    const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    void whileBusy(button, `Checking the keys with ${eximpe ? 'EximPe' : 'Razorpay'}…`, async () => {
      try {
        const { data } = await api.putAccount(accountId, body);
        // the secrets leave the page as soon as they are saved
        byId<HTMLInputElement>('account-key-secret').value = '';
        byId<HTMLInputElement>('account-webhook-secret').value = '';
        notify(`Account ${data.accountId} saved. Its webhook URL: ${data.webhookUrl}`, 'success');
        await reloadAccounts();
      } catch (err) {
        notify(errorText(err), 'error');
      }
    });
  });
}
