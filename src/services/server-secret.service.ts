import { randomBytes } from 'node:crypto';
import { findOrCreateSecret } from '../db/repositories/secret.repository.js';
import { isoNow, type ServiceContext } from './context.js';

/**
 * A 256-bit key kept in the database, so that every instance behind a balancer, and the same
 * instance after a restart, derives the same values from it. Read once per process: the promise
 * is kept, and forgotten if the read fails (a database not migrated yet), to be tried again.
 */
export function serverKey(ctx: ServiceContext, name: string): () => Promise<Buffer> {
  let key: Promise<Buffer> | null = null;
  return () => {
    key ??= findOrCreateSecret(ctx.db, name, randomBytes(32).toString('base64url'), isoNow(ctx.clock)).then(
      (value) => Buffer.from(value, 'base64url'),
      (err: unknown) => {
        key = null;
        throw err;
      },
    );
    return key;
  };
}
