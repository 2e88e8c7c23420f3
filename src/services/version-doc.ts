import type { TrustpubData } from '../core/trustpub-claims.js';
import type { Db } from '../db/create-db.js';
import { listVersionAudit } from '../db/repositories/audit.repository.js';
import type { CrateRow, VersionRow } from '../db/repositories/crate.repository.js';
import type { ServiceContext } from './context.js';
import { type UserDoc, userDoc } from './user-doc.js';

/** crates.io's `Version` object: what every route that shows a version answers. */

/** The audit actions crates.io lists on a version, by the name the audit log gives them. */
const VERSION_ACTIONS: Record<string, string> = { 'crate.publish': 'publish', 'crate.yank': 'yank', 'crate.unyank': 'unyank' };

export function versionLinks(crateName: string, num: string) {
  const base = `/api/v1/crates/${crateName}/${num}`;
  return { dependencies: `${base}/dependencies`, version_downloads: `${base}/downloads`, authors: `${base}/authors` };
}

async function usersById(db: Db, ids: number[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'login', 'name', 'created_at']).where('id', 'in', unique).execute();
  return new Map(rows.map((u) => [u.id, u]));
}

/**
 * The documents of `versions`, in their order: all of `crates` when one crate is given, else each
 * of the crate among `crates` it belongs to. Three queries whatever their number.
 */
export async function versionDocs(ctx: ServiceContext, crates: CrateRow | readonly CrateRow[], versions: readonly VersionRow[]) {
  const byId = new Map((Array.isArray(crates) ? crates : [crates]).map((c: CrateRow) => [c.id, c]));
  const crateOf = (v: VersionRow): CrateRow => {
    const crate = byId.get(v.crate_id);
    if (!crate) throw new Error(`version ${v.id} belongs to none of the crates given`);
    return crate;
  };
  const publishers = await usersById(ctx.db, versions.map((v) => v.published_by).filter((id): id is number => id !== null));
  const oldest = versions.reduce<string | null>((min, v) => (min === null || v.created_at < min ? v.created_at : min), null);
  const names = [...new Set(versions.map((v) => crateOf(v).name))];
  const audit = oldest === null ? [] : await listVersionAudit(ctx.db, names, versions.map((v) => v.num), Object.keys(VERSION_ACTIONS), oldest);
  const actionsOf = new Map<string, Array<{ action: string; user: UserDoc; time: string }>>();
  for (const row of audit) {
    const user = userDoc(ctx, { id: row.user_id, login: row.login, name: row.name, created_at: row.user_created_at });
    const key = `${row.crate_name}@${row.version}`;
    const list = actionsOf.get(key) ?? [];
    list.push({ action: VERSION_ACTIONS[row.action]!, user, time: row.created_at });
    actionsOf.set(key, list);
  }
  return versions.map((v) => {
    const crate = crateOf(v);
    const publisher = v.published_by !== null ? publishers.get(v.published_by) : undefined;
    return {
      id: v.id,
      crate: crate.name,
      num: v.num,
      dl_path: `/api/v1/crates/${crate.name}/${v.num}/download`,
      readme_path: `/api/v1/crates/${crate.name}/${v.num}/readme`,
      updated_at: v.updated_at,
      created_at: v.created_at,
      downloads: Number(v.downloads),
      features: JSON.parse(v.features) as Record<string, string[]>,
      yanked: v.yanked === 1,
      yank_message: v.yank_message,
      lib_links: v.links,
      license: v.license,
      links: versionLinks(crate.name, v.num),
      crate_size: v.crate_size,
      published_by: publisher ? userDoc(ctx, publisher) : null,
      // Only actions recorded after the version was published: its own history.
      audit_actions: (actionsOf.get(`${crate.name}@${v.num}`) ?? []).filter((a) => a.time >= v.created_at),
      checksum: v.checksum,
      rust_version: v.rust_version,
      has_lib: v.has_lib === null ? null : v.has_lib === 1,
      bin_names: v.bin_names === null ? null : (JSON.parse(v.bin_names) as string[]),
      edition: v.edition,
      description: v.description,
      homepage: v.homepage,
      documentation: v.documentation,
      repository: v.repository,
      // crates.io's provenance of a trusted publish (plus workflow, ref and environment); null otherwise.
      trustpub_data: v.trustpub_data ? (JSON.parse(v.trustpub_data) as TrustpubData) : null,
    };
  });
}

export type VersionDoc = Awaited<ReturnType<typeof versionDocs>>[number];
