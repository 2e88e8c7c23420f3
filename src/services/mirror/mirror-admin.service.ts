import { notFound } from '../../core/errors.js';
import {
  deleteMirrorCrateFile,
  deleteMirrorIndexFile,
  findMirrorIndexFile,
  listMirrorCrateFiles,
  listVanishedMirrorFiles,
  mirrorTotals,
  type MirrorTotals,
} from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';
import type { MirrorActivitySnapshot } from './mirror-activity.js';
import type { Mirror } from './mirror.js';
import { parseCrateSpec } from './mirror-sync.service.js';

export interface MirrorStatus extends MirrorTotals {
  upstream: string | null;
  offline: boolean;
  ttlSeconds: number;
  /** Cached crates the upstream no longer serves, with its last answer. */
  vanished: Array<{ name: string; status: number }>;
}

/** The admin page's view: the shared status, and this instance's activity since it started. */
export interface MirrorOverview {
  status: MirrorStatus;
  activity: MirrorActivitySnapshot;
}

export async function mirrorOverview(ctx: ServiceContext, mirror: Mirror): Promise<MirrorOverview> {
  return { status: await mirrorStatus(ctx), activity: mirror.activity.snapshot() };
}

/** `wharf mirror status`: what is cached, how big, and how fresh. */
export async function mirrorStatus(ctx: ServiceContext): Promise<MirrorStatus> {
  const totals = await mirrorTotals(ctx.db);
  const vanished = (await listVanishedMirrorFiles(ctx.db)).map((r) => ({ name: r.name, status: r.upstream_status ?? 0 }));
  return { ...totals, upstream: ctx.config.mirrorUpstream, offline: ctx.config.mirrorOffline, ttlSeconds: ctx.config.mirrorIndexTtl, vanished };
}

/**
 * `wharf mirror remove NAME[@VERSION]`: drops one cached version's file, or a whole crate (its
 * index file and every file). Servers stop serving it within one TTL; with an upstream, the next
 * request fetches it again if the upstream still has it.
 */
export async function removeFromMirror(ctx: ServiceContext, spec: string): Promise<{ indexFile: boolean; crateFiles: number }> {
  const at = spec.indexOf('@');
  const { name } = parseCrateSpec(at < 0 ? spec : spec.slice(0, at));
  const lower = name.toLowerCase();
  const version = at < 0 ? undefined : spec.slice(at + 1);
  const rows = await listMirrorCrateFiles(ctx.db, lower, version);
  const index = version === undefined ? await findMirrorIndexFile(ctx.db, lower) : undefined;
  if (rows.length === 0 && !index) throw notFound(`the mirror holds nothing of \`${spec}\``);
  for (const row of rows) {
    // The row first: a reader never finds a row whose file is already gone.
    await deleteMirrorCrateFile(ctx.db, row.name, row.version);
    await ctx.blobs.delete(row.blob_key);
  }
  if (index) await deleteMirrorIndexFile(ctx.db, lower);
  return { indexFile: index !== undefined, crateFiles: rows.length };
}
