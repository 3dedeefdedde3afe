/**
 * The lists' CSV exports live in their own file (exports.js, see exports.ts), fetched the first
 * time someone exports; a failed fetch is tried again on the next click.
 */
import type { ExportsModule } from './exports';

// a path the bundler leaves alone: exports.js is its own file
const EXPORTS_URL = './exports.js';
let loaded: Promise<ExportsModule> | undefined;

export function exportsModule(): Promise<ExportsModule> {
  if (!loaded) {
    const loading = import(/* @vite-ignore */ EXPORTS_URL) as Promise<ExportsModule>;
    loaded = loading;
    loading.catch(() => {
      if (loaded === loading) loaded = undefined;
    });
  }
  return loaded;
}
