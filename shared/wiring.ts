/**
 * Stores wired once per cold start, shared by handlers that need them. Each getter builds
 * its adapter on first use only, so a function that never touches a table never asks for its
 * environment variable. Read-only routes import only this module: the Razorpay SDK (and
 * axios) stay out of their bundles — see shared/wiring-links.ts for what needs Razorpay.
 */

import { AccountStore } from './adapters/dynamo/account-store';
import { AggregateStore } from './adapters/dynamo/aggregate-store';
import { EmiStore } from './adapters/dynamo/emi-store';
import { LinkStore } from './adapters/dynamo/link-store';
import { OpsStore } from './adapters/dynamo/ops-store';
import { SearchStore } from './adapters/dynamo/search-store';
import { env, envOptional } from './config';

let emiStore: EmiStore | undefined;
let linkStore: LinkStore | undefined;
let opsStore: OpsStore | undefined;
let aggregateStore: AggregateStore | undefined;
let searchStore: SearchStore | undefined;
let accountStore: AccountStore | undefined;

export function emis(): EmiStore {
  emiStore ??= new EmiStore(env('EMIS_TABLE'));
  return emiStore;
}

export function links(): LinkStore {
  // a function that only reads links (list, detail, QR, the return page) is given no emis table:
  // the store needs it only for its writes, which those functions never make
  linkStore ??= new LinkStore(env('LINKS_TABLE'), envOptional('EMIS_TABLE') ?? '');
  return linkStore;
}

export function ops(): OpsStore {
  opsStore ??= new OpsStore(env('OPS_TABLE'));
  return opsStore;
}

export function aggregates(): AggregateStore {
  aggregateStore ??= new AggregateStore(env('EMIS_TABLE'));
  return aggregateStore;
}

export function searchIndex(): SearchStore {
  searchStore ??= new SearchStore(env('EMIS_TABLE'));
  return searchStore;
}

/** Payment accounts and their lenders (emis table). */
export function accounts(): AccountStore {
  accountStore ??= new AccountStore(env('EMIS_TABLE'));
  return accountStore;
}

/** For tests that rebuild the environment between files. */
export function resetStores(): void {
  aggregateStore = undefined;
  searchStore = undefined;
  accountStore = undefined;
  emiStore = undefined;
  linkStore = undefined;
  opsStore = undefined;
}
