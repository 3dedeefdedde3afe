/** Where the repository and its git-ignored local state live (no other imports: cheap to load). */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_DIR = join(ROOT, '.local');
