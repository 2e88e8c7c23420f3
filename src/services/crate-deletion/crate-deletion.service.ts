import { canonicalCrateName } from '../../core/crate-name.js';
import { ownerDeletionRefusal } from '../../core/crate-deletion.js';
import { AppError, badRequest, crateNotFound, forbidden, unprocessable, versionNotFound } from '../../core/errors.js';
import type { Db } from '../../db/create-db.js';
import { recountCategories } from '../../db/repositories/category.repository.js';
import { findCrateByCanonicalName, findVersion, isOwner, listVersions, refreshVersionSummary, type CrateRow } from '../../db/repositories/crate.repository.js';
import {
  checksumInUse,
  countOwners,
  crateCategorySlugs,
  deleteCrateRow,
  deleteVersionRow,
  findDependent,
  findNameReservation,
  insertDeletedCrate,
} from '../../db/repositories/deletion.repository.js';
import { crateFileKey } from '../../storage/keys.js';
import { recordAudit } from '../audit.service.js';
import { recordIndexChange } from '../change-feed.service.js';
import type { ServiceContext } from '../context.js';
import type { Operator } from '../token.service.js';

/**
 * Deleting crates and versions. The rows go first, in one transaction with the index change and
 * the audit row; the files go after it commits. A crash in between leaves orphan files (which
 * `wharf check` reports), never an index line whose file is gone.
 */

const HOUR_MS = 3_600_000;
const MAX_MESSAGE = 1000;

/** `owner`: the crate's owners under the `crate_deletion` rule. `admin`: an administrator, any crate. */
export type DeletionAuthority = 'owner' | 'admin';

export interface CrateDeletion {
  crate: string;
  versions: number;
  /** Files that could not be removed (left as orphans); normally 0. */
  filesLeft: number;
}

/** Deletes a crate with all its versions and reserves its name for `deleted_name_reserve_hours`. */
export async function deleteCrate(
  ctx: ServiceContext,
  by: Operator,
  authority: DeletionAuthority,
  name: string,
  options: { message?: string | null } = {},
): Promise<CrateDeletion> {
  const message = checkMessage(options.message);
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  if (authority === 'admin') requireAdmin(by);
  else await requireOwnerMayDelete(ctx, by, crate);

  const versions = await listVersions(ctx.db, crate.id);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (tx) => {
    const slugs = await crateCategorySlugs(tx, crate.id);
    await deleteCrateRow(tx, crate.id);
    await recountCategories(tx, slugs);
    await insertDeletedCrate(tx, {
      name: crate.name,
      canonical_name: crate.canonical_name,
      created_at: crate.created_at,
      deleted_at: now.toISOString(),
      deleted_by: by.actor?.userId ?? null,
      available_at: new Date(now.getTime() + ctx.config.deletedNameReserveHours * HOUR_MS).toISOString(),
      message,
    });
    await recordIndexChange(tx, ctx.clock, crate.name, ctx.config.databaseUrl !== null);
    await recordAudit(tx, ctx.clock, {
      action: 'crate.delete',
      userId: by.actor?.userId ?? null,
      tokenId: by.actor?.token?.id ?? null,
      crateName: crate.name,
      detail: { versions: versions.map((v) => v.num), authority, ...(message ? { message } : {}), ...(by.via ? { via: by.via } : {}) },
    });
  });
  const filesLeft = await removeFiles(ctx, versions.map((v) => ({ key: crateFileKey(crate.name, v.num, v.checksum), checksum: v.checksum })));
  return { crate: crate.name, versions: versions.length, filesLeft };
}

export interface VersionDeletion {
  crate: string;
  version: string;
  /** True when it was the crate's last version, so the crate itself was deleted (and its name reserved). */
  crateDeleted: boolean;
  filesLeft: number;
}

/**
 * An administrator deletes one version. The crate stays, its version summary recomputed; deleting
 * its last version deletes the crate, as `deleteCrate` does, since a crate with no version has no
 * index file and nothing to show.
 */
export async function deleteVersion(ctx: ServiceContext, by: Operator, name: string, num: string, options: { message?: string | null } = {}): Promise<VersionDeletion> {
  requireAdmin(by);
  const message = checkMessage(options.message);
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  const version = await findVersion(ctx.db, crate.id, num);
  if (!version) throw versionNotFound(crate.name, num);
  if (crate.num_versions <= 1 && (await listVersions(ctx.db, crate.id)).length <= 1) {
    const deleted = await deleteCrate(ctx, by, 'admin', crate.name, { message });
    return { crate: deleted.crate, version: version.num, crateDeleted: true, filesLeft: deleted.filesLeft };
  }
  await ctx.db.transaction().execute(async (tx) => {
    await deleteVersionRow(tx, crate.id, version.id);
    await refreshVersionSummary(tx, crate.id);
    await recordIndexChange(tx, ctx.clock, crate.name, ctx.config.databaseUrl !== null);
    await recordAudit(tx, ctx.clock, {
      action: 'crate.delete_version',
      userId: by.actor?.userId ?? null,
      tokenId: null,
      crateName: crate.name,
      version: version.num,
      detail: { checksum: version.checksum, ...(message ? { message } : {}), ...(by.via ? { via: by.via } : {}) },
    });
  });
  const filesLeft = await removeFiles(ctx, [{ key: crateFileKey(crate.name, version.num, version.checksum), checksum: version.checksum }]);
  return { crate: crate.name, version: version.num, crateDeleted: false, filesLeft };
}

/** Refuses a publish of a new crate under a name deleted less than `deleted_name_reserve_hours` ago. */
export async function refuseReservedName(db: Db, nowIso: string, name: string): Promise<void> {
  const reservation = await findNameReservation(db, canonicalCrateName(name), nowIso);
  if (reservation) {
    throw badRequest(`a crate named \`${reservation.name}\` was deleted recently; the name can be used again after ${reservation.available_at.slice(0, 19)}Z`);
  }
}

/** Whether the actor may delete the crate as its owner, and why not: for the settings page. */
export async function ownerDeletionCheck(ctx: ServiceContext, by: Operator, crate: CrateRow): Promise<string | null> {
  try {
    await requireOwnerMayDelete(ctx, by, crate);
    return null;
  } catch (err) {
    if (err instanceof AppError) return err.detail;
    throw err;
  }
}

async function requireOwnerMayDelete(ctx: ServiceContext, by: Operator, crate: CrateRow): Promise<void> {
  const actor = by.actor;
  // crates.io lets only a signed-in owner delete; a token, even of an owner, never may.
  if (!actor || actor.token || actor.trustpub) throw forbidden('crates are deleted by a signed-in owner, not with an API token');
  if (!(await isOwner(ctx.db, crate.id, actor.userId))) throw forbidden(`only owners may delete the crate \`${crate.name}\``);
  const dependent = await findDependent(ctx.db, crate.id, crate.canonical_name);
  const refusal = ownerDeletionRefusal(
    { policy: ctx.config.crateDeletion, graceHours: ctx.config.crateDeletionGraceHours, monthlyDownloads: ctx.config.crateDeletionMonthlyDownloads },
    {
      ageMs: ctx.clock.now().getTime() - Date.parse(crate.created_at),
      owners: await countOwners(ctx.db, crate.id),
      downloads: Number(crate.downloads),
      dependent: dependent ? `${dependent.name}@${dependent.num}` : null,
    },
  );
  if (refusal) throw ctx.config.crateDeletion === 'admins' ? forbidden(refusal) : unprocessable(refusal);
}

function requireAdmin(by: Operator): void {
  // No actor: the CLI on the server, which only an operator of the machine can run.
  if (by.actor && !by.actor.isAdmin) throw forbidden('only administrators may delete any crate or a single version');
}

function checkMessage(message: string | null | undefined): string | null {
  const text = (message ?? '').trim();
  if (text.length > MAX_MESSAGE) throw badRequest(`the deletion message is too long (${text.length} characters, max ${MAX_MESSAGE})`);
  return text === '' ? null : text;
}

/** Removes files no version names any more; returns how many could not be removed. */
async function removeFiles(ctx: ServiceContext, files: ReadonlyArray<{ key: string; checksum: string }>): Promise<number> {
  let left = 0;
  for (const { key, checksum } of files) {
    try {
      // The same bytes published again since (a name free at once) own the file now.
      if (await checksumInUse(ctx.db, checksum)) continue;
      await ctx.blobs.delete(key);
    } catch {
      left++;
    }
  }
  return left;
}
