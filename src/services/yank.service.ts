import { badRequest, crateNotFound, forbidden, versionNotFound } from '../core/errors.js';
import type { Db } from '../db/create-db.js';
import { findCrateByCanonicalName, findVersion, refreshVersionSummary, type CrateRow, type VersionRow } from '../db/repositories/crate.repository.js';
import { type Actor, requireScope } from './actor.js';
import { recordAudit } from './audit.service.js';
import { recordIndexChange } from './change-feed.service.js';
import type { ServiceContext } from './context.js';
import { requireOwnerRights } from './owners/rights.js';

/**
 * Loads a crate the actor owns, or refuses with the right error. Shared by yank (user owners and
 * members of owning teams) and owner changes (user owners only).
 */
export async function loadOwnedCrate(db: Db, actor: Actor, name: string, scope: 'yank' | 'change-owners'): Promise<CrateRow> {
  const crate = await findCrateByCanonicalName(db, name);
  if (!crate) throw crateNotFound(name);
  requireScope(actor, scope, crate.name);
  await requireOwnerRights(db, crate, actor.userId, scope === 'yank' ? 'publish' : 'full');
  return crate;
}

/** A yank, an unyank, or a new message for a yanked version (crates.io's `PATCH` body). */
export interface YankUpdate {
  yanked?: boolean;
  /** Why; only with a yank or on a yanked version. */
  message?: string | null;
}

const MAX_YANK_MESSAGE = 1000;

function checkUpdate(update: YankUpdate, currentlyYanked: boolean): void {
  if (update.message === undefined || update.message === null) return;
  if (update.yanked === false) throw badRequest('a yank message cannot be set when unyanking');
  if (update.yanked === undefined && !currentlyYanked) throw badRequest('a yank message can only be changed on a yanked version');
  if (update.message.length > MAX_YANK_MESSAGE) throw badRequest(`the yank message is too long (${update.message.length} characters, max ${MAX_YANK_MESSAGE})`);
}

/**
 * Yanks or unyanks a version, with an optional message (an unyank clears it). Returns the crate's
 * name so the caller can invalidate its index file, and the version's row as it is now.
 */
export async function updateYank(ctx: ServiceContext, actor: Actor, name: string, num: string, update: YankUpdate): Promise<{ crate: CrateRow; version: VersionRow }> {
  const crate = await loadOwnedCrate(ctx.db, actor, name, 'yank');
  const version = await findVersion(ctx.db, crate.id, num);
  if (!version) throw versionNotFound(crate.name, num);
  checkUpdate(update, version.yanked === 1);
  const yanked = update.yanked ?? version.yanked === 1;
  const message = yanked ? (update.message === undefined ? version.yank_message : update.message || null) : null;
  if ((version.yanked === 1) === yanked && version.yank_message === message) return { crate, version };
  const now = ctx.clock.now().toISOString();
  await ctx.db.transaction().execute(async (tx) => {
    await tx.updateTable('versions').set({ yanked: yanked ? 1 : 0, yank_message: message, updated_at: now }).where('id', '=', version.id).execute();
    if ((version.yanked === 1) !== yanked) {
      await refreshVersionSummary(tx, crate.id);
      await recordIndexChange(tx, ctx.clock, crate.name, ctx.config.databaseUrl !== null);
    }
    await recordAudit(tx, ctx.clock, {
      action: yanked ? 'crate.yank' : 'crate.unyank',
      userId: actor.userId,
      tokenId: actor.token?.id ?? null,
      crateName: crate.name,
      version: num,
      ...(message !== null ? { detail: { message } } : {}),
    });
  });
  return { crate, version: { ...version, yanked: yanked ? 1 : 0, yank_message: message, updated_at: now } };
}

/** Flips the yanked flag (cargo's yank and unyank). Returns the crate's name so the caller can invalidate its index file. */
export async function setYanked(ctx: ServiceContext, actor: Actor, name: string, num: string, yanked: boolean): Promise<string> {
  return (await updateYank(ctx, actor, name, num, { yanked })).crate.name;
}
