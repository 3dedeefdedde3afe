/**
 * Configuration is parsed once, with its bounds, and the README's table says what the code does:
 * every setting of the catalogue (shared/config.ts) is in the README's Configuration table with
 * the same default, and a malformed value fails fast naming the variable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../local/paths';
import { LOCAL_SETTINGS, localSetting, SETTINGS, setting } from '../../shared/config';
import { ConfigError } from '../../shared/domain/errors';

/** The README's Configuration table: each variable named in a row, with its default cell's part. */
function readmeDefaults(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Configuration\n')[1]!.split('\n## ')[0]!;
  const out = new Map<string, string>();
  for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const [names, defaults] = row.split(' | ');
    const vars = [...names!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const parts = defaults!.split(', ');
    for (const [i, v] of vars.entries())
      out.set(v, (parts.length === vars.length ? parts[i] : defaults)!.trim());
  }
  return out;
}

describe('configuration', () => {
  afterEach(() => {
    for (const name of [...Object.keys(SETTINGS), ...Object.keys(LOCAL_SETTINGS)]) delete process.env[name];
  });

  it.each([...Object.entries(SETTINGS), ...Object.entries(LOCAL_SETTINGS)])(
    'the README lists %s with the default the code uses',
    (name, def) => {
      const shown = readmeDefaults().get(name);
      expect(shown, `README's Configuration table has no row for ${name}`).toBeDefined();
      expect(shown!.startsWith(def.shown), `README says ${shown}, the code ${def.shown}`).toBe(true);
    },
  );

  it('reads the default when unset, the value when set, and a changed value anew', () => {
    expect(setting('BULK_CONCURRENCY')).toBe(SETTINGS.BULK_CONCURRENCY.default);
    process.env.BULK_CONCURRENCY = '7';
    process.env.LINK_REMINDERS = 'false';
    expect(setting('BULK_CONCURRENCY')).toBe(7);
    expect(setting('LINK_REMINDERS')).toBe(false);
    // parsed once per value: a test (or the local runtime) that changes it needs no reset call
    process.env.BULK_CONCURRENCY = '9';
    expect(setting('BULK_CONCURRENCY')).toBe(9);
    process.env.BULK_CONCURRENCY = 'nine';
    expect(() => setting('BULK_CONCURRENCY')).toThrow(/BULK_CONCURRENCY/);
  });

  it.each([
    ['BULK_CONCURRENCY', 'lots', /BULK_CONCURRENCY must be an integer from 1 to 64/],
    ['BULK_CONCURRENCY', '0', /BULK_CONCURRENCY must be an integer from 1 to 64/],
    ['RAZORPAY_TIMEOUT_MS', '1e3', /RAZORPAY_TIMEOUT_MS must be an integer/],
    ['LINK_DEFAULT_EXPIRY_DAYS', '2.5', /LINK_DEFAULT_EXPIRY_DAYS must be an integer from 1 to 180/],
    ['LINK_NOTIFY_SMS', 'yes', /LINK_NOTIFY_SMS must be true or false/],
  ] as const)('fails fast on %s=%s, naming it', (name, raw, message) => {
    process.env[name] = raw;
    expect(() => setting(name)).toThrow(ConfigError);
    expect(() => setting(name)).toThrow(message);
  });

  it('the local runtime refuses a port that is not one', () => {
    process.env.PORT = '70000';
    expect(() => localSetting('PORT')).toThrow(/PORT must be an integer from 1 to 65535/);
    process.env.PORT = '3100';
    expect(localSetting('PORT')).toBe(3100);
  });
});
