/**
 * Storage for the local provider's sessions, grants, codes and tokens: in memory, one store per
 * provider instance (tests start several in one process), expiring entries by their TTL.
 * oidc-provider's built-in quick-start adapter does the same but shares one store per process
 * and warns on every start; a local run forgets its sessions on restart by design.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

type Store = Map<string, Entry>;

/** every this many writes, expired entries are dropped (reads drop them too) */
const SWEEP_EVERY = 500;
let writes = 0;

function sweep(store: Store): void {
  const now = Date.now();
  for (const [key, e] of store) if (e.expiresAt <= now) store.delete(key);
}

function live(store: Store, key: string): AdapterPayload | undefined {
  const e = store.get(key);
  if (!e) return undefined;
  if (e.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return e.payload;
}

class MemoryAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: Store,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    if (++writes % SWEEP_EVERY === 0) sweep(this.store);
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.store.set(this.key(id), { payload, expiresAt });
    if (payload.uid) this.store.set(`uid:${payload.uid}`, { payload: { id } as AdapterPayload, expiresAt });
    if (payload.userCode)
      this.store.set(`userCode:${payload.userCode}`, { payload: { id } as AdapterPayload, expiresAt });
    if (payload.grantId) {
      const members = this.store.get(`grant:${payload.grantId}`);
      const keys = (members?.payload.keys as string[] | undefined) ?? [];
      keys.push(this.key(id));
      this.store.set(`grant:${payload.grantId}`, {
        payload: { keys } as AdapterPayload,
        expiresAt: Math.max(expiresAt, members?.expiresAt ?? 0),
      });
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return live(this.store, this.key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const ref = live(this.store, `uid:${uid}`);
    return ref ? this.find(ref.id as string) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const ref = live(this.store, `userCode:${userCode}`);
    return ref ? this.find(ref.id as string) : undefined;
  }

  async consume(id: string): Promise<void> {
    const payload = live(this.store, this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const members = this.store.get(`grant:${grantId}`);
    for (const key of (members?.payload.keys as string[] | undefined) ?? []) this.store.delete(key);
    this.store.delete(`grant:${grantId}`);
  }
}

/** A fresh store; pass the result as oidc-provider's `adapter`. */
export function memoryAdapter(): (model: string) => Adapter {
  const store: Store = new Map();
  return (model) => new MemoryAdapter(model, store);
}
