/**
 * One way to wire a function (shared/wiring.ts): `perContainer(config, make)` keeps what `make`
 * built and builds again only when the config changes, so no module needs a reset seam. Checked
 * here on the helper itself and on the sources: no handler or wiring module keeps its own
 * module-scope cache (`let x` at top level) or exports a `reset…` function.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../local/paths';
import { perContainer } from '../../../shared/per-container';
import { makeStores } from '../../../shared/wiring';

describe('perContainer', () => {
  it('builds once for one config and again only when the config changes', () => {
    let config = { table: 'a', limit: 1 };
    const made: string[] = [];
    const deps = perContainer(
      () => config,
      (c) => {
        made.push(`${c.table}:${c.limit}`);
        return { table: c.table };
      },
    );
    const first = deps();
    expect(deps()).toBe(first);
    expect(deps()).toBe(first);
    expect(made).toEqual(['a:1']);
    config = { table: 'a', limit: 1 }; // an equal config read anew is the same config
    expect(deps()).toBe(first);
    config = { table: 'b', limit: 1 };
    const second = deps();
    expect(second).not.toBe(first);
    expect(second).toEqual({ table: 'b' });
    config = { table: 'b', limit: 2 };
    deps();
    expect(made).toEqual(['a:1', 'b:1', 'b:2']);
  });

  it('builds nothing until asked, and a failed build is not kept', () => {
    let fail = true;
    let builds = 0;
    const deps = perContainer(
      () => ({ fail }),
      (c) => {
        builds++;
        if (c.fail) throw new Error('missing setting');
        return { ok: true };
      },
    );
    expect(builds).toBe(0);
    expect(() => deps()).toThrow('missing setting');
    fail = false;
    expect(deps()).toEqual({ ok: true });
    expect(builds).toBe(2);
  });
});

describe('makeStores', () => {
  it('makes a store on first use and names the variable of a table it was not given', () => {
    const stores = makeStores({ links: 'links-table' });
    expect(stores.links).toBe(stores.links);
    expect(() => stores.emis).toThrow(/EMIS_TABLE/);
    expect(() => stores.ops).toThrow(/OPS_TABLE/);
  });
});

function sources(dir: string, pick: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && pick(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const WIRED = [
  ...sources('functions', (n) => n === 'handler.ts'),
  ...sources('shared', (n) => /^wiring.*\.ts$/.test(n) || n === 'qr-route.ts'),
];

describe('the wiring of every function', () => {
  it('covers every handler', () => {
    // the functions directory holds one handler per function (lib/routes.ts lists them)
    expect(WIRED.filter((f) => f.startsWith('functions/')).length).toBeGreaterThanOrEqual(35);
  });

  it.each(WIRED)('%s keeps no cache of its own and has no reset seam', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(text.match(/^let\s+\w+/gm) ?? []).toEqual([]);
    expect(text.match(/^export\s+function\s+reset\w*/gm) ?? []).toEqual([]);
    expect(text.match(/\b\w*[dD]epsOverride\b/g) ?? []).toEqual([]);
  });
});
