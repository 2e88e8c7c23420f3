import { crateNotFound, forbidden, versionNotFound } from '../core/errors.js';
import type { Db } from '../db/create-db.js';
import { findCrateByCanonicalName, findVersion, isOwner, type CrateRow } from '../db/repositories/crate.repository.js';
import { type Actor, requireScope } from './actor.js';
import { recordAudit } from './audit.service.js';
import { recordIndexChange } from './change-feed.service.js';
import type { ServiceContext } from './context.js';

/** Loads a crate the actor owns, or refuses with the right error. Shared by yank and owner changes. */
export async function loadOwnedCrate(db: Db, actor: Actor, name: string, scope: 'yank' | 'change-owners'): Promise<CrateRow> {
  const crate = await findCrateByCanonicalName(db, name);
  if (!crate) throw crateNotFound(name);
  requireScope(actor, scope, crate.name);
  if (!(await isOwner(db, crate.id, actor.userId))) throw forbidden(`you are not an owner of the crate \`${crate.name}\``);
  return crate;
}

/** Flips the yanked flag. Returns the crate's name so the caller can invalidate its index file. */
export async function setYanked(ctx: ServiceContext, actor: Actor, name: string, num: string, yanked: boolean): Promise<string> {
  const crate = await loadOwnedCrate(ctx.db, actor, name, 'yank');
  const version = await findVersion(ctx.db, crate.id, num);
  if (!version) throw versionNotFound(crate.name, num);
  if ((version.yanked === 1) === yanked) return crate.name;
  await ctx.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('versions')
      .set({ yanked: yanked ? 1 : 0, updated_at: ctx.clock.now().toISOString() })
      .where('id', '=', version.id)
      .execute();
    await recordIndexChange(tx, ctx.clock, crate.name, ctx.config.databaseUrl !== null);
    await recordAudit(tx, ctx.clock, {
      action: yanked ? 'crate.yank' : 'crate.unyank',
      userId: actor.userId,
      tokenId: actor.token?.id ?? null,
      crateName: crate.name,
      version: num,
    });
  });
  return crate.name;
}
