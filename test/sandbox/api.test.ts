/**
 * The sandbox's Payment Links API driven through the official `razorpay` SDK, asserting
 * Razorpay's exact status codes, texts and error body shapes (reference §1–§2).
 */
import type Razorpay from 'razorpay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox/server';
import { control, gatewayError, linkBody, linkError, rejectionOf, sdkFor, unixNow } from './helpers';

type CreateBody = Parameters<Razorpay['paymentLink']['create']>[0];
type ListParams = Parameters<Razorpay['paymentLink']['all']>[0];
type UpdateBody = Parameters<Razorpay['paymentLink']['edit']>[1];

let sandbox: Sandbox;
let rzp: Razorpay;

/** create/edit/list with bodies the SDK's types do not allow (bad input on purpose, or extra filters) */
const create = (body: Record<string, unknown>) => rzp.paymentLink.create(body as unknown as CreateBody);
const edit = (id: string, body: Record<string, unknown>) =>
  rzp.paymentLink.edit(id, body as unknown as UpdateBody);
const list = (params: Record<string, unknown>) => rzp.paymentLink.all(params as unknown as ListParams);

async function createLink(overrides: Record<string, unknown> = {}) {
  return (await create(linkBody(overrides))) as unknown as Record<string, unknown> & { id: string };
}

async function pay(id: string, body: Record<string, unknown> = {}) {
  const res = await control(sandbox, 'POST', `/_sandbox/payment_links/${id}/pay`, body);
  expect(res.status).toBe(200);
  return res.body as { payment_id: string; payment_link: Record<string, unknown> };
}

beforeAll(async () => {
  // maxAmount low enough to test Razorpay's per-merchant maximum
  sandbox = await startSandbox({ port: 0, webhookUrl: '', maxAmount: 10_000_000 });
  rzp = sdkFor(sandbox);
});

afterAll(async () => {
  await sandbox.close();
});

describe('create', () => {
  it('creates a standard link shaped like Razorpay’s create answer', async () => {
    const before = unixNow();
    const body = linkBody();
    const link = (await rzp.paymentLink.create(body as CreateBody)) as unknown as Record<string, unknown>;

    expect(Object.keys(link)).toEqual([...Object.keys(link)].sort());
    expect(link).toEqual({
      accept_partial: false,
      amount: 150000,
      amount_paid: 0,
      callback_method: '',
      callback_url: '',
      cancelled_at: 0,
      created_at: expect.any(Number),
      currency: 'INR',
      customer: { contact: '9000090000', email: 'asha@example.com', name: 'Asha Rao' },
      description: 'EMI 3 of loan L-1001',
      expire_by: 0,
      expired_at: 0,
      first_min_partial_amount: 0,
      id: expect.stringMatching(/^plink_[0-9A-Za-z]{14}$/),
      notes: { loan_id: 'L-1001', emi_number: '3' },
      notify: { email: false, sms: false, whatsapp: false },
      payments: null,
      reference_id: body.reference_id,
      reminder_enable: false,
      reminders: [],
      short_url: expect.stringMatching(new RegExp(`^${sandbox.url}/rzp/[0-9A-Za-z]{8}$`)),
      status: 'created',
      updated_at: link['created_at'],
      upi_link: false,
      user_id: '',
      whatsapp_link: false,
    });
    expect(link['created_at']).toBeGreaterThanOrEqual(before);
    expect(link['created_at']).toBeLessThanOrEqual(unixNow());
    expect(link).not.toHaveProperty('order_id');
  });

  it('defaults what Razorpay defaults: INR, reminders on, first partial minimum 100, no customer as []', async () => {
    const link = (await create({ amount: 1000, accept_partial: true })) as unknown as Record<string, unknown>;
    expect(link).toMatchObject({
      currency: 'INR',
      reminder_enable: true,
      first_min_partial_amount: 100,
      accept_partial: true,
      customer: [],
      notes: null,
      reference_id: '',
      description: '',
    });
  });

  it('keeps expire_by, callback and a numeric-string amount as given', async () => {
    const expireBy = unixNow() + 3600;
    const link = await createLink({
      amount: '2500',
      expire_by: expireBy,
      callback_url: 'https://example.com/done',
      callback_method: 'get',
      accept_partial: true,
      first_min_partial_amount: 500,
    });
    expect(link).toMatchObject({
      amount: 2500,
      expire_by: expireBy,
      callback_url: 'https://example.com/done',
      callback_method: 'get',
      first_min_partial_amount: 500,
    });
  });

  it('refuses UPI links with a test-mode key, in Razorpay’s words', async () => {
    const rejection = await rejectionOf(create({ ...linkBody(), upi_link: true }));
    expect(rejection).toEqual({
      statusCode: 400,
      error: linkError(
        'UPI Payment Links is not supported in Test Mode. Please experience the product in Live Mode.',
      ),
    });
  });

  it('creates UPI links with a live-mode key, INR only and without partial payments', async () => {
    const live = await startSandbox({ port: 0, keyId: 'rzp_live_LocalSandboxKey1', webhookUrl: '' });
    try {
      const liveRzp = sdkFor(live);
      const createLive = (body: Record<string, unknown>) =>
        liveRzp.paymentLink.create(body as unknown as CreateBody);
      const link = (await createLive({ ...linkBody(), upi_link: true })) as unknown as Record<
        string,
        unknown
      >;
      expect(link['upi_link']).toBe(true);
      expect(
        await rejectionOf(createLive({ ...linkBody(), upi_link: 'true', accept_partial: true })),
      ).toEqual({
        statusCode: 400,
        error: linkError('partial payment not supported in upi link'),
      });
      expect(await rejectionOf(createLive({ ...linkBody(), upi_link: true, currency: 'USD' }))).toEqual({
        statusCode: 400,
        error: linkError('upi is currently supported only in indian currency'),
      });
    } finally {
      await live.close();
    }
  });
});

describe('create validation: Razorpay’s exact texts', () => {
  const now = unixNow();
  const sixteenNotes = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
  const cases: [string, Record<string, unknown>, string][] = [
    ['a missing amount', { amount: undefined }, 'amount: cannot be blank.'],
    ['an amount below ₹1', { amount: 99 }, 'amount: amount should be minimum 100 for INR.'],
    [
      'a decimal amount',
      { amount: 100.5 },
      'amount, should be a whole number for e.g. 2234 to create a payment link for INR 22.34.',
    ],
    [
      'an amount above the merchant maximum',
      { amount: 10_000_001 },
      'amount exceeds maximum amount allowed.',
    ],
    [
      'an unsupported currency',
      { currency: 'XYZ' },
      'amount: currency: wrong input field, please find the list of supported currencies on the documentation.',
    ],
    [
      'a 41-character reference id',
      { reference_id: 'r'.repeat(41) },
      'reference_id: the length must be no more than 40.',
    ],
    ['16 notes', { notes: sixteenNotes }, 'The notes may not have more than 15 items.'],
    [
      'a 256-character note',
      { notes: { long: 'x'.repeat(256) } },
      'value: the length must not be greater than 255.',
    ],
    [
      'expire_by as an ISO string',
      { expire_by: '2030-01-01T00:00:00Z' },
      'incorrect JSON object received - faulty key: expire_by.',
    ],
    [
      'expire_by with decimals',
      { expire_by: now + 3600.5 },
      'incorrect JSON object received - faulty key: expire_by.',
    ],
    [
      'expire_by under 15 minutes ahead',
      { expire_by: now + 600 },
      'timestamp must be atleast 15 minutes in future',
    ],
    [
      'expire_by beyond six months',
      { expire_by: now + 200 * 86400 },
      'timestamp must not be more than 6 months in future',
    ],
    [
      'callback_url without callback_method',
      { callback_url: 'https://example.com/cb' },
      'callback_method: must be a valid value.',
    ],
    [
      'callback_method other than get',
      { callback_url: 'https://example.com/cb', callback_method: 'post' },
      'callback_method: must be a valid value.',
    ],
    [
      'a callback_url that is not a URL',
      { callback_url: 'not a url', callback_method: 'get' },
      'callback_url: URL should be sent in callback_url field.',
    ],
    [
      'first_min_partial_amount without accept_partial',
      { first_min_partial_amount: 500 },
      'first_min_partial_amount: amount should be minimum 100 for INR.',
    ],
    [
      'first_min_partial_amount below ₹1',
      { accept_partial: true, first_min_partial_amount: 50 },
      'first_min_partial_amount: amount should be minimum 100 for INR.',
    ],
    [
      'first_min_partial_amount above the amount',
      { accept_partial: true, first_min_partial_amount: 150001 },
      'first_min_partial_amount must be less than or equal to amount.',
    ],
    ['an unknown field', { receipt: 'R1' }, 'extra fields sent.'],
    ['an unknown customer field', { customer: { name: 'A', phone: '9000090000' } }, 'extra fields sent.'],
    [
      'a malformed customer email',
      { customer: { name: 'A', email: 'asha.example.com' } },
      'email: must be in a valid format for e.g. abcxyz@domain.com.',
    ],
    [
      'a 7-digit customer contact',
      { customer: { name: 'A', contact: '9000090' } },
      'contact: the length must be between 8 and 14.',
    ],
    [
      'a 15-character customer contact',
      { customer: { name: 'A', contact: '+91900009000012' } },
      'contact: the length must be between 8 and 14.',
    ],
  ];

  it.each(cases)('refuses %s with 400', async (_name, overrides, description) => {
    const body: Record<string, unknown> = linkBody(overrides);
    for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete body[key];
    const linksBefore = sandbox.links;
    expect(await rejectionOf(create(body))).toEqual({ statusCode: 400, error: linkError(description) });
    expect(sandbox.links).toBe(linksBefore);
  });

  it('refuses an empty body as a blank amount', async () => {
    expect(await rejectionOf(create({}))).toEqual({
      statusCode: 400,
      error: linkError('amount: cannot be blank.'),
    });
  });

  it('refuses a reference id used before, whatever state the first link is in', async () => {
    const first = await createLink();
    const again = { ...linkBody(), reference_id: first['reference_id'] };
    const duplicate = linkError('payment link creation with reference ID already attempted');
    expect(await rejectionOf(create(again))).toEqual({ statusCode: 400, error: duplicate });
    await rzp.paymentLink.cancel(first.id);
    expect(await rejectionOf(create(again))).toEqual({ statusCode: 400, error: duplicate });
  });
});

describe('fetch', () => {
  it('returns the link with payments [] before any payment, then the captured payments', async () => {
    const link = await createLink({ accept_partial: true, first_min_partial_amount: 50000 });
    const fresh = (await rzp.paymentLink.fetch(link.id)) as unknown as Record<string, unknown>;
    expect(fresh['payments']).toEqual([]);

    const failed = await pay(link.id, { amount: 50000, outcome: 'failed', method: 'card' });
    const first = await pay(link.id, { amount: 50000, method: 'upi' });
    const fetched = (await rzp.paymentLink.fetch(link.id)) as unknown as Record<string, unknown>;
    expect(fetched).toMatchObject({
      status: 'partially_paid',
      amount_paid: 50000,
      order_id: expect.stringMatching(/^order_[0-9A-Za-z]{14}$/),
      payments: [
        {
          amount: 50000,
          created_at: expect.any(Number),
          method: 'upi',
          payment_id: first.payment_id,
          status: 'captured',
        },
      ],
    });
    expect(JSON.stringify(fetched['payments'])).not.toContain(failed.payment_id);
  });

  it('answers 400 "The id provided does not exist" for an unknown id', async () => {
    expect(await rejectionOf(rzp.paymentLink.fetch('plink_AAAAAAAAAAAAAA'))).toEqual({
      statusCode: 400,
      error: linkError('The id provided does not exist'),
    });
  });

  it('answers 400 "invalid input [strippedId]" for a malformed id', async () => {
    expect(await rejectionOf(rzp.paymentLink.fetch('plink_KBnb7I424Rc1R'))).toEqual({
      statusCode: 400,
      error: linkError('invalid input [strippedId] = [KBnb7I424Rc1R]'),
    });
  });
});

describe('list', () => {
  it('filters by reference_id (ignoring the SDK’s count and skip) and answers {payment_links: [...]}', async () => {
    const link = await createLink();
    await createLink();
    const found = await list({ reference_id: link['reference_id'], count: 1, skip: 5 });
    expect(Object.keys(found)).toEqual(['payment_links']);
    expect(found.payment_links.map((l) => l.id)).toEqual([link.id]);
    expect(await list({ reference_id: 'no-such-reference' })).toEqual({ payment_links: [] });
  });

  it('filters by payment_id', async () => {
    const link = await createLink();
    const { payment_id } = await pay(link.id);
    const found = await list({ payment_id });
    expect(found.payment_links.map((l) => l.id)).toEqual([link.id]);
    // as in Razorpay's documented list answer, listed links carry payments: [] (fetch one for them)
    expect(found.payment_links[0]).toMatchObject({ status: 'paid', amount_paid: 150000, payments: [] });
  });

  it('lists every link, newest first, without filters', async () => {
    const a = await createLink();
    const b = await createLink();
    const ids = (await rzp.paymentLink.all()).payment_links.map((l) => l.id);
    expect(ids.length).toBe(sandbox.links);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
  });

  it('refuses a reference_id filter longer than 40 characters with the receipt text', async () => {
    expect(await rejectionOf(list({ reference_id: 'r'.repeat(41) }))).toEqual({
      statusCode: 400,
      error: linkError('The receipt may not be greater than 40 characters.'),
    });
  });
});

describe('update', () => {
  it('changes the five editable fields of a created link', async () => {
    const link = await createLink();
    const expireBy = unixNow() + 7200;
    const reference = `upd-${link.id}`;
    const updated = (await rzp.paymentLink.edit(link.id, {
      accept_partial: true,
      reference_id: reference,
      expire_by: expireBy,
      notes: { loan_id: 'L-2' },
      reminder_enable: true,
    })) as unknown as Record<string, unknown>;
    expect(updated).toMatchObject({
      id: link.id,
      accept_partial: true,
      first_min_partial_amount: 100,
      reference_id: reference,
      expire_by: expireBy,
      notes: { loan_id: 'L-2' },
      reminder_enable: true,
      status: 'created',
    });
    expect((await list({ reference_id: reference })).payment_links.map((l) => l.id)).toEqual([link.id]);
  });

  it('refuses fields Razorpay does not let you edit', async () => {
    const link = await createLink();
    expect(await rejectionOf(edit(link.id, { amount: 500 }))).toEqual({
      statusCode: 400,
      error: linkError('extra fields sent.'),
    });
  });

  it('applies the same rules as create to the values', async () => {
    const link = await createLink();
    const other = await createLink();
    expect(await rejectionOf(edit(link.id, { expire_by: unixNow() + 60 }))).toEqual({
      statusCode: 400,
      error: linkError('timestamp must be atleast 15 minutes in future'),
    });
    expect(await rejectionOf(edit(link.id, { reference_id: other['reference_id'] }))).toEqual({
      statusCode: 400,
      error: linkError('payment link creation with reference ID already attempted'),
    });
  });

  it('lets a partially paid link change its notes only', async () => {
    const link = await createLink({ accept_partial: true });
    await pay(link.id, { amount: 10000 });
    const updated = (await edit(link.id, { notes: { loan_id: 'L-9' } })) as unknown as Record<
      string,
      unknown
    >;
    expect(updated['notes']).toEqual({ loan_id: 'L-9' });
    expect(await rejectionOf(edit(link.id, { expire_by: unixNow() + 7200 }))).toEqual({
      statusCode: 400,
      error: linkError('extra fields sent in state partially_paid'),
    });
  });

  it('refuses any update of a paid, cancelled or expired link', async () => {
    const paid = await createLink();
    await pay(paid.id);
    const cancelled = await createLink();
    await rzp.paymentLink.cancel(cancelled.id);
    const expired = await createLink();
    await control(sandbox, 'POST', `/_sandbox/payment_links/${expired.id}/expire`);
    for (const id of [paid.id, cancelled.id, expired.id]) {
      expect(await rejectionOf(edit(id, { notes: { a: 'b' } }))).toEqual({
        statusCode: 400,
        error: linkError('update can only be made in created or partially paid state'),
      });
    }
  });

  it('answers 400 "The id provided does not exist" for an unknown id', async () => {
    expect(await rejectionOf(edit('plink_AAAAAAAAAAAAAA', { notes: {} }))).toEqual({
      statusCode: 400,
      error: linkError('The id provided does not exist'),
    });
  });
});

describe('cancel', () => {
  it('cancels a created link (the SDK sends an empty form body)', async () => {
    const link = await createLink();
    const cancelled = (await rzp.paymentLink.cancel(link.id)) as unknown as Record<string, unknown>;
    expect(cancelled).toMatchObject({ id: link.id, status: 'cancelled', payments: [] });
    expect(cancelled['cancelled_at']).toBeGreaterThan(0);
    expect(cancelled['updated_at']).toBe(cancelled['cancelled_at']);
  });

  it('refuses to cancel a cancelled or expired link', async () => {
    const link = await createLink();
    await rzp.paymentLink.cancel(link.id);
    const expired = await createLink();
    await control(sandbox, 'POST', `/_sandbox/payment_links/${expired.id}/expire`);
    for (const id of [link.id, expired.id]) {
      expect(await rejectionOf(rzp.paymentLink.cancel(id))).toEqual({
        statusCode: 400,
        error: linkError('cannot cancel or expire an expired link'),
      });
    }
  });

  it('refuses to cancel a paid or partially paid link', async () => {
    const paid = await createLink();
    await pay(paid.id);
    const partial = await createLink({ accept_partial: true });
    await pay(partial.id, { amount: 20000 });
    for (const id of [paid.id, partial.id]) {
      expect(await rejectionOf(rzp.paymentLink.cancel(id))).toEqual({
        statusCode: 400,
        error: linkError('cannot cancel or expire an already paid/partially paid link'),
      });
    }
  });

  it('answers 400 for unknown and malformed ids', async () => {
    expect(await rejectionOf(rzp.paymentLink.cancel('plink_AAAAAAAAAAAAAA'))).toEqual({
      statusCode: 400,
      error: linkError('The id provided does not exist'),
    });
    expect(await rejectionOf(rzp.paymentLink.cancel('plink_short'))).toEqual({
      statusCode: 400,
      error: linkError('invalid input [strippedId] = [short]'),
    });
  });
});

describe('notify_by', () => {
  it('confirms sms and email notifications', async () => {
    const link = await createLink();
    expect(await rzp.paymentLink.notifyBy(link.id, 'sms')).toEqual({ success: true });
    expect(await rzp.paymentLink.notifyBy(link.id, 'email')).toEqual({ success: true });
  });

  it("throttles resends per link and medium with Razorpay's 429, and logs what it accepted", async () => {
    sandbox.config = { notifyPerMinute: 2 };
    try {
      const link = await createLink();
      const other = await createLink();
      expect(await rzp.paymentLink.notifyBy(link.id, 'sms')).toEqual({ success: true });
      expect(await rzp.paymentLink.notifyBy(link.id, 'sms')).toEqual({ success: true });
      expect(await rejectionOf(rzp.paymentLink.notifyBy(link.id, 'sms'))).toEqual({
        statusCode: 429,
        error: linkError('Request rate limit exceeded. Please try again later.'),
      });
      // another medium, another link: their own budgets
      expect(await rzp.paymentLink.notifyBy(link.id, 'email')).toEqual({ success: true });
      expect(await rzp.paymentLink.notifyBy(other.id, 'sms')).toEqual({ success: true });
      const log = await control(sandbox, 'GET', '/_sandbox/notifications');
      const mine = (log.body as { notifications: { linkId: string; medium: string }[] }).notifications
        .filter((n) => n.linkId === link.id || n.linkId === other.id)
        .map((n) => `${n.linkId === link.id ? 'link' : 'other'} ${n.medium}`);
      expect(mine).toEqual(['link sms', 'link sms', 'link email', 'other sms']);
    } finally {
      sandbox.config = { notifyPerMinute: 0 };
    }
  });

  it('refuses other media and bad ids with the notify texts', async () => {
    const link = await createLink();
    const notify = (id: string, medium: string) => rzp.paymentLink.notifyBy(id, medium as 'sms');
    expect(await rejectionOf(notify(link.id, 'whatsapp'))).toEqual({
      statusCode: 400,
      error: linkError('not a valid notification medium'),
    });
    expect(await rejectionOf(notify('plink_ABC', 'sms'))).toEqual({
      statusCode: 400,
      error: linkError('Length of id should be exactly 14.'),
    });
    expect(await rejectionOf(notify('plink_AAAAAAAAAAAAAA', 'sms'))).toEqual({
      statusCode: 400,
      error: linkError('The id provided does not exist.'),
    });
    expect(await rejectionOf(notify('link_QX7wiVUHdcOOoW', 'sms'))).toEqual({
      statusCode: 400,
      error: linkError('invalid input [id] = [link_QX7wiVUHdcOOoW]'),
    });
  });
});

describe('authentication and routing', () => {
  it('answers 401 with Razorpay’s NA-style body for a wrong secret or an unknown key', async () => {
    for (const keys of [
      { keyId: sandbox.keyId, keySecret: 'wrong-secret' },
      { keyId: 'rzp_test_SomeoneElse000', keySecret: sandbox.keySecret },
    ]) {
      const stranger = sdkFor(sandbox, keys);
      expect(await rejectionOf(stranger.paymentLink.create(linkBody() as CreateBody))).toEqual({
        statusCode: 401,
        error: gatewayError('The api key provided is invalid'),
      });
    }
  });

  it('answers unknown paths with "The requested URL was not found on the server"', async () => {
    expect(await rejectionOf(rzp.orders.fetch('order_AAAAAAAAAAAAAA'))).toEqual({
      statusCode: 400,
      error: gatewayError('The requested URL was not found on the server'),
    });
  });
});
