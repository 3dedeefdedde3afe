/**
 * Configuration from process.env, parsed once per cold start. Each function asks only for
 * what it uses (`env('EMIS_TABLE')`); a missing or malformed variable fails fast with a
 * ConfigError naming it. Values are cached after the first read.
 */
import { ConfigError } from './domain/errors';

const cache = new Map<string, string>();

/** A required string variable. */
export function env(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`Missing required environment variable ${name}`);
  }
  cache.set(name, value);
  return value;
}

/** An optional string variable. */
export function envOptional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** An optional integer variable with a default; a non-integer value fails fast. */
export function envInt(name: string, fallback: number): number {
  const raw = envOptional(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new ConfigError(`Environment variable ${name} must be an integer`);
  return n;
}

/** An optional boolean variable (`true`/`1`/`false`/`0`) with a default. */
export function envBool(name: string, fallback: boolean): boolean {
  const raw = envOptional(name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`Environment variable ${name} must be true or false`);
}

/** For tests that change process.env between cases. */
export function resetConfigCache(): void {
  cache.clear();
}
