import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A dependency loaded on its first use rather than at start. Report spreadsheets, PDF documents,
 * e-mail, archive readers and the lunar calendar are each tens of megabytes of code and data that a
 * server mostly serving git and uploads never needs: loading them eagerly put the idle process at
 * ~147 MB, above the 150 MB the transfer benchmarks allow for the whole transfer. They are CommonJS
 * packages (or ship a CommonJS build), so `require` loads them synchronously and the call sites
 * stay synchronous.
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
