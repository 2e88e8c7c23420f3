import { openExistingContext, prepareDatabase } from '../../bootstrap.js';
import type { Config } from '../../config/config.js';
import { notFound } from '../../core/errors.js';
import { findUserByLogin, type UserRow } from '../../db/repositories/user.repository.js';
import type { ServiceContext } from '../../services/context.js';

/**
 * Runs an admin command against the configured registry, closing it afterwards. It must exist:
 * only `serve` and `migrate` create one.
 */
export async function withContext<T>(config: Config, run: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const ctx = openExistingContext(config);
  try {
    await prepareDatabase(ctx, { migrate: config.autoMigrate, create: false });
    return await run(ctx);
  } finally {
    ctx.blobs.close?.();
    await ctx.db.destroy();
  }
}

export async function requireUser(ctx: ServiceContext, login: string): Promise<UserRow> {
  const user = await findUserByLogin(ctx.db, login);
  if (!user) throw notFound(`no user with the login \`${login}\``);
  return user;
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}
