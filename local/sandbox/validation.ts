/**
 * Razorpay's input rules for creating and updating payment links (reference §1.3, §1.8), with
 * its exact error texts. Checks run in a fixed order and the first failure wins, as Razorpay
 * reports one error at a time. Texts marked [inferred] in errors.ts are not documented.
 */
import { extraFieldsInState, linkError, MSG } from './errors';
import type { Customer, Link, LinkDraft, Notes } from './model';

export interface RuleContext {
  /** unix seconds */
  now: number;
  /** `rzp_test_` keys: UPI links are refused */
  testMode: boolean;
  maxAmount: number;
  /** true when another link already used (or uses) this reference id */
  referenceTaken: (referenceId: string) => boolean;
}

export type LinkPatch = Partial<
  Pick<
    Link,
    'acceptPartial' | 'firstMinPartialAmount' | 'referenceId' | 'expireBy' | 'notes' | 'reminderEnable'
  >
>;

const CREATE_FIELDS = new Set([
  'amount',
  'currency',
  'accept_partial',
  'first_min_partial_amount',
  'upi_link',
  'description',
  'reference_id',
  'customer',
  'expire_by',
  'notify',
  'reminder_enable',
  'notes',
  'callback_url',
  'callback_method',
  'options',
]);
const CUSTOMER_FIELDS = new Set(['name', 'email', 'contact']);
const NOTIFY_FIELDS = new Set(['sms', 'email', 'whatsapp']);
/** Editable while `created`; once `partially_paid` only notes (reference §1.8). */
const UPDATE_FIELDS = new Set(['accept_partial', 'reference_id', 'expire_by', 'notes', 'reminder_enable']);
const PARTIALLY_PAID_UPDATE_FIELDS = new Set(['notes']);

const MIN_AMOUNT = 100;
const MIN_EXPIRY_AHEAD_S = 15 * 60;
/** "cannot exceed more than six months from the date of creation": 184 days covers every 6-month span. */
const MAX_EXPIRY_AHEAD_S = 184 * 24 * 3600;
const MAX_NOTES = 15;
const MAX_NOTE_LENGTH = 255;
const MAX_REFERENCE_LENGTH = 40;
const MAX_DESCRIPTION_LENGTH = 2048;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Body = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExtraKeys(body: Body, allowed: ReadonlySet<string>): boolean {
  for (const key in body) if (!allowed.has(key)) return true;
  return false;
}

/** Razorpay is PHP: booleans also arrive as "true"/"1"/1 (its own UPI sample sends `"upi_link": "true"`). */
function bool(body: Body, field: string, fallback: boolean): boolean {
  const value = body[field];
  if (value === undefined || value === null) return fallback;
  if (value === true || value === 'true' || value === 1 || value === '1') return true;
  if (value === false || value === 'false' || value === 0 || value === '0') return false;
  // [inferred] Laravel's wording for a boolean rule
  throw linkError(`The ${field.replaceAll('_', ' ')} field must be true or false.`);
}

/** An integer amount sent as a number or a numeric string (the SDK types allow `number | string`). */
function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

function checkAmount(body: Body, ctx: RuleContext): number {
  const raw = body['amount'];
  if (raw === undefined || raw === null || raw === '') throw linkError(MSG.amountBlank);
  const amount = wholeNumber(raw);
  if (amount === undefined) throw linkError(MSG.amountWhole);
  if (amount < MIN_AMOUNT) throw linkError(MSG.amountMin);
  if (amount > ctx.maxAmount) throw linkError(MSG.amountMax);
  return amount;
}

function checkReferenceId(value: unknown, ctx: RuleContext, current = ''): string {
  if (value === undefined || value === null || value === '') return '';
  // [inferred] Razorpay casts scalars; anything else is not a reference id
  if (typeof value !== 'string' && typeof value !== 'number')
    throw linkError('reference_id: must be a string.');
  const referenceId = String(value);
  if (referenceId.length > MAX_REFERENCE_LENGTH) throw linkError(MSG.referenceLength);
  if (referenceId !== current && ctx.referenceTaken(referenceId)) throw linkError(MSG.referenceDuplicate);
  return referenceId;
}

function checkExpireBy(value: unknown, ctx: RuleContext): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw linkError(MSG.expireNotInteger);
  if (value < ctx.now + MIN_EXPIRY_AHEAD_S) throw linkError(MSG.expireTooSoon);
  if (value > ctx.now + MAX_EXPIRY_AHEAD_S) throw linkError(MSG.expireTooLate);
  return value;
}

export function checkNotes(value: unknown): Notes | null {
  if (value === undefined || value === null) return null;
  // an empty PHP array `[]` is an empty map
  if (Array.isArray(value) && value.length === 0) return null;
  if (!isPlainObject(value)) throw linkError('notes: must be an object.'); // [inferred]
  const keys = Object.keys(value);
  if (keys.length > MAX_NOTES) throw linkError(MSG.notesCount);
  const notes: Notes = {};
  for (const key of keys) {
    const note = value[key];
    if (typeof note !== 'string' && typeof note !== 'number' && typeof note !== 'boolean') {
      throw linkError('value: must be a string.'); // [inferred]
    }
    if (String(note).length > MAX_NOTE_LENGTH) throw linkError(MSG.notesValueLength);
    notes[key] = note;
  }
  return keys.length === 0 ? null : notes;
}

function checkCustomer(value: unknown): Customer {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value) && value.length === 0) return {};
  if (!isPlainObject(value)) throw linkError('customer: must be an object.'); // [inferred]
  if (hasExtraKeys(value, CUSTOMER_FIELDS)) throw linkError(MSG.extraFields);
  const customer: Customer = {};
  const { name, email, contact } = value;
  if (name !== undefined && name !== null && name !== '') customer.name = String(name);
  if (email !== undefined && email !== null && email !== '') {
    if (typeof email !== 'string' || !EMAIL.test(email)) throw linkError(MSG.email);
    customer.email = email;
  }
  if (contact !== undefined && contact !== null && contact !== '') {
    const text = String(contact);
    if (text.length < 8 || text.length > 14) throw linkError(MSG.contact);
    customer.contact = text;
  }
  return customer;
}

function checkNotify(value: unknown): LinkDraft['notify'] {
  if (value === undefined || value === null) return { email: false, sms: false, whatsapp: false };
  if (!isPlainObject(value)) throw linkError('notify: must be an object.'); // [inferred]
  if (hasExtraKeys(value, NOTIFY_FIELDS)) throw linkError(MSG.extraFields);
  return {
    email: bool(value, 'email', false),
    sms: bool(value, 'sms', false),
    whatsapp: bool(value, 'whatsapp', false),
  };
}

function checkCallback(body: Body): { callbackUrl: string; callbackMethod: string } {
  const url = body['callback_url'];
  const method = body['callback_method'];
  let callbackUrl = '';
  if (url !== undefined && url !== null && url !== '') {
    if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:/i.test(url))
      throw linkError(MSG.callbackUrl);
    callbackUrl = url;
  }
  let callbackMethod = '';
  if ((method !== undefined && method !== null && method !== '') || callbackUrl !== '') {
    if (method !== 'get') throw linkError(MSG.callbackMethod);
    callbackMethod = method;
  }
  return { callbackUrl, callbackMethod };
}

function checkDescription(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw linkError('description: must be a string.'); // [inferred]
  if (value.length > MAX_DESCRIPTION_LENGTH)
    throw linkError('description: the length must be no more than 2048.'); // [inferred]
  return value;
}

/** Validates a create body; throws ApiError with Razorpay's text for the first broken rule. */
export function validateCreate(body: Body, ctx: RuleContext): LinkDraft {
  if (hasExtraKeys(body, CREATE_FIELDS)) throw linkError(MSG.extraFields);
  const amount = checkAmount(body, ctx);

  const currencyRaw = body['currency'];
  const currency =
    currencyRaw === undefined || currencyRaw === null || currencyRaw === ''
      ? 'INR'
      : String(currencyRaw).toUpperCase();
  const upiLink = bool(body, 'upi_link', false);
  if (upiLink) {
    if (ctx.testMode) throw linkError(MSG.upiTestMode);
    if (currency !== 'INR') throw linkError(MSG.upiCurrency);
  }
  // the sandbox knows INR only (the team collects EMIs in rupees)
  if (currency !== 'INR') throw linkError(MSG.currency);

  const acceptPartial = bool(body, 'accept_partial', false);
  if (upiLink && acceptPartial) throw linkError(MSG.upiPartial);
  let firstMinPartialAmount = 0;
  const minRaw = body['first_min_partial_amount'];
  if (minRaw !== undefined && minRaw !== null) {
    const min = wholeNumber(minRaw);
    if (!acceptPartial || min === undefined || min < MIN_AMOUNT) throw linkError(MSG.partialMin);
    if (min > amount) throw linkError(MSG.partialMax);
    firstMinPartialAmount = min;
  } else if (acceptPartial) {
    firstMinPartialAmount = MIN_AMOUNT; // documented default
  }

  const description = checkDescription(body['description']);
  const customer = checkCustomer(body['customer']);
  const expireBy = checkExpireBy(body['expire_by'], ctx);
  const notes = checkNotes(body['notes']);
  const notify = checkNotify(body['notify']);
  // Razorpay: "Reminders are enabled by default during Payment Link creation" (via API)
  const reminderEnable = bool(body, 'reminder_enable', true);
  const { callbackUrl, callbackMethod } = checkCallback(body);
  if (body['options'] !== undefined && body['options'] !== null && !isPlainObject(body['options'])) {
    throw linkError('options: must be an object.'); // [inferred]
  }
  // uniqueness last: an otherwise invalid request is not an "attempt"
  const referenceId = checkReferenceId(body['reference_id'], ctx);

  return {
    amount,
    currency,
    acceptPartial,
    firstMinPartialAmount,
    description,
    referenceId,
    customer,
    expireBy,
    notes,
    notify,
    reminderEnable,
    callbackUrl,
    callbackMethod,
    upiLink,
  };
}

/** Validates a PATCH body against the link's state (reference §1.8). */
export function validateUpdate(link: Link, body: Body, ctx: RuleContext): LinkPatch {
  if (link.status !== 'created' && link.status !== 'partially_paid') throw linkError(MSG.updateState);
  if (link.status === 'partially_paid' && hasExtraKeys(body, PARTIALLY_PAID_UPDATE_FIELDS)) {
    throw linkError(extraFieldsInState(link.status));
  }
  if (hasExtraKeys(body, UPDATE_FIELDS)) throw linkError(MSG.extraFields);

  const patch: LinkPatch = {};
  if ('accept_partial' in body) {
    const acceptPartial = bool(body, 'accept_partial', link.acceptPartial);
    if (link.upiLink && acceptPartial) throw linkError(MSG.upiPartial);
    patch.acceptPartial = acceptPartial;
    patch.firstMinPartialAmount = acceptPartial ? link.firstMinPartialAmount || MIN_AMOUNT : 0;
  }
  if ('expire_by' in body) patch.expireBy = checkExpireBy(body['expire_by'], ctx);
  if ('notes' in body) patch.notes = checkNotes(body['notes']);
  if ('reminder_enable' in body) patch.reminderEnable = bool(body, 'reminder_enable', link.reminderEnable);
  if ('reference_id' in body)
    patch.referenceId = checkReferenceId(body['reference_id'], ctx, link.referenceId);
  return patch;
}
