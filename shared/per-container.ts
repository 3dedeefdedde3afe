/**
 * The one caching style of the wiring (shared/wiring.ts explains the whole pattern): what
 * `make(config())` built is kept at module scope and reused; it is built again only when the
 * config it came from changes — never on Lambda, whose environment is fixed.
 */
/** Built once per container from `config()`; built again only when that config changes. */
export function perContainer<C, D>(config: () => C, make: (config: C) => D): () => D {
  let built: { key: string; deps: D } | undefined;
  return () => {
    const current = config();
    const key = JSON.stringify(current);
    if (built === undefined || built.key !== key) built = { key, deps: make(current) };
    return built.deps;
  };
}
