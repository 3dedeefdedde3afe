/**
 * Adapters wired once per cold start, shared by handlers that need them. Each getter builds
 * its adapter on first use only, so a function that never touches a table never asks for
 * its environment variable.
 */
import { EmiStore } from './adapters/dynamo/emi-store';
import { env } from './config';

let emiStore: EmiStore | undefined;

export function emis(): EmiStore {
  emiStore ??= new EmiStore(env('EMIS_TABLE'));
  return emiStore;
}
