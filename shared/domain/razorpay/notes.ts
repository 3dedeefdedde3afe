/**
 * Razorpay's `notes` arrive in several shapes: an object, `[]` or `null` when empty (a PHP
 * empty-array artefact), and `[{key, value}]` in one documented update response. Every reader
 * gets a plain Record<string, string>.
 */
import { isRecord } from '../records';
export function normaliseNotes(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (isRecord(item) && typeof item.key === 'string') {
        const value = scalarToString(item.value);
        if (value !== undefined) out[item.key] = value;
      }
    }
    return out;
  }
  if (!isRecord(raw)) return out;
  for (const [key, value] of Object.entries(raw)) {
    const text = scalarToString(value);
    if (text !== undefined) out[key] = text;
  }
  return out;
}

function scalarToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
