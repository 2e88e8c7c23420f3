import type { Config } from '../config/config.js';
import type { Db } from '../db/create-db.js';
import type { BlobStore } from '../storage/blob-store.js';

/** What every service receives. Services never see HTTP. */
export interface ServiceContext {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly config: Config;
  readonly clock: Clock;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const isoNow = (clock: Clock): string => clock.now().toISOString();
