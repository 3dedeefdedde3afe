/**
 * How a function is wired — the one way, for every function:
 *
 * - a config reader (`…Config()`) takes what the function needs from the environment: resource
 *   names and settings from the catalogue in shared/config.ts, as plain data;
 * - a make function (`make…(config)`) builds the function's dependencies from that config and
 *   from nothing else;
 * - `perContainer(config, make)` keeps what was built at module scope and reuses it for every
 *   invocation the container runs. It builds again only if the config it was built from changes:
 *   never on Lambda, where the environment is fixed; in a test or the one-machine runtime that
 *   points a function at other tables or queues it follows them, with no reset call.
 *
 * Tests that want other dependencies build their own with the same make function (or spread the
 * wired ones) and hand them to the handler's `main`; nothing global is swapped.
 *
 * This module holds the stores every function may use. Read-only routes import only it: the
 * provider SDKs (and axios) stay out of their bundles — shared/wiring-links.ts has what needs them.
 */

import { AccountStore } from './adapters/dynamo/account-store';
import { AggregateStore } from './adapters/dynamo/aggregate-store';
import { EmiStore } from './adapters/dynamo/emi-store';
import { LinkStore } from './adapters/dynamo/link-store';
import { OpsStore } from './adapters/dynamo/ops-store';
import { SearchStore } from './adapters/dynamo/search-store';
import { envOptional } from './config';
import { ConfigError } from './domain/errors';
import { perContainer } from './per-container';

export { perContainer };

/** The tables a function was given (CDK sets only those it may use). */
export interface TablesConfig {
  emis?: string;
  links?: string;
  ops?: string;
}

export function tablesConfig(): TablesConfig {
  return {
    emis: envOptional('EMIS_TABLE'),
    links: envOptional('LINKS_TABLE'),
    ops: envOptional('OPS_TABLE'),
  };
}

export interface Stores {
  emis: EmiStore;
  links: LinkStore;
  ops: OpsStore;
  aggregates: AggregateStore;
  search: SearchStore;
  /** payment accounts and their lenders (emis table) */
  accounts: AccountStore;
}

/**
 * The stores on those tables, each made on first use: a function never asks for a table it does
 * not use, and one that uses a table it was not given fails naming the variable.
 */
export function makeStores(tables: TablesConfig): Stores {
  const need = (variable: string, name: string | undefined): string => {
    if (name === undefined) throw new ConfigError(`Missing required environment variable ${variable}`);
    return name;
  };
  const made: Partial<Stores> = {};
  return {
    get emis() {
      made.emis ??= new EmiStore(need('EMIS_TABLE', tables.emis));
      return made.emis;
    },
    get links() {
      // a function that only reads links (list, detail, QR, the return page) is given no emis
      // table: the store needs it only for its writes, which those functions never make
      made.links ??= new LinkStore(need('LINKS_TABLE', tables.links), tables.emis ?? '');
      return made.links;
    },
    get ops() {
      made.ops ??= new OpsStore(need('OPS_TABLE', tables.ops));
      return made.ops;
    },
    get aggregates() {
      made.aggregates ??= new AggregateStore(need('EMIS_TABLE', tables.emis));
      return made.aggregates;
    },
    get search() {
      made.search ??= new SearchStore(need('EMIS_TABLE', tables.emis));
      return made.search;
    },
    get accounts() {
      made.accounts ??= new AccountStore(need('EMIS_TABLE', tables.emis));
      return made.accounts;
    },
  };
}

/** The stores of this container. */
export const stores = perContainer(tablesConfig, makeStores);
