import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from '../storage/db.js';
import type { BlobStore } from '../storage/blobs.js';

/** What every service function is handed: no container, no globals (style.md, after Verdaccio). */
export interface ServiceDeps {
  readonly db: Db;
  /** The current time; tests pass a fixed clock. */
  readonly clock: () => Date;
}

export interface AppDeps extends ServiceDeps {
  readonly config: Config;
  /** The content-addressed store of large files (LFS objects, uploads). */
  readonly blobs: BlobStore;
  readonly logger: Logger;
}

/** Who did something, as the audit trail records it. */
export interface Actor {
  readonly userId: number | null;
  readonly orgId: number | null;
  readonly login: string | null;
  readonly ip: string | null;
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ userId: null, orgId: null, login: 'system', ip: null });
