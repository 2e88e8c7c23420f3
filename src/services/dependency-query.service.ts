import { canonicalCrateName } from '../core/crate-name.js';
import { crateNotFound } from '../core/errors.js';
import type { Db } from '../db/create-db.js';
import { findCrateByCanonicalName, listDependencies, listVersionsByIds, type DependencyRow } from '../db/repositories/crate.repository.js';
import { countReverseDependencies, listReverseDependencies } from '../db/repositories/dependency.repository.js';
import type { ServiceContext } from './context.js';
import { loadCrateVersion } from './crate-query.service.js';
import { parsePaging } from './paging.js';
import { versionDocs } from './version-doc.js';

/** Dependencies both ways, in crates.io's `Dependency` shape. */

function dependencyDoc(d: DependencyRow, crateName: string, downloads: number) {
  return {
    id: d.id,
    version_id: d.version_id,
    crate_id: crateName,
    req: d.req,
    optional: d.optional === 1,
    default_features: d.default_features === 1,
    features: JSON.parse(d.features) as string[],
    target: d.target,
    kind: d.kind,
    downloads,
  };
}

/** The names the crates of this registry are spelled with, by canonical name. */
async function crateSpellings(db: Db, names: readonly string[]): Promise<Map<string, string>> {
  const canon = [...new Set(names.map(canonicalCrateName))];
  if (canon.length === 0) return new Map();
  const rows = await db.selectFrom('crates').select(['name', 'canonical_name']).where('canonical_name', 'in', canon).execute();
  return new Map(rows.map((r) => [r.canonical_name, r.name]));
}

/** `GET /crates/{name}/{version}/dependencies`: required before optional, then by crate name. */
export async function versionDependencies(ctx: ServiceContext, name: string, num: string) {
  const { version } = await loadCrateVersion(ctx, name, num);
  const deps = await listDependencies(ctx.db, [version.id]);
  const spelled = await crateSpellings(ctx.db, deps.filter((d) => d.registry === null).map((d) => d.name));
  const docs = deps.map((d) => dependencyDoc(d, (d.registry === null ? spelled.get(canonicalCrateName(d.name)) : undefined) ?? d.name, 0));
  docs.sort((a, b) => Number(a.optional) - Number(b.optional) || (a.crate_id < b.crate_id ? -1 : a.crate_id > b.crate_id ? 1 : a.id - b.id));
  return { dependencies: docs };
}

/**
 * `GET /crates/{name}/reverse_dependencies`: the crates whose default version depends on this
 * one, paged (`page`, `per_page` up to 100), with those versions and the full count.
 */
export async function reverseDependencies(ctx: ServiceContext, name: string, raw: Record<string, unknown>) {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  const paging = parsePaging(raw);
  const [rows, total] = await Promise.all([
    listReverseDependencies(ctx.db, crate.name, paging.perPage, (paging.page - 1) * paging.perPage),
    countReverseDependencies(ctx.db, crate.name),
  ]);
  const versionRows = await listVersionsByIds(ctx.db, [...new Set(rows.map((r) => r.version_id))].sort((a, b) => a - b));
  const crates = versionRows.length > 0 ? await ctx.db.selectFrom('crates').selectAll().where('id', 'in', versionRows.map((v) => v.crate_id)).execute() : [];
  const versions = await versionDocs(ctx, crates, versionRows);
  return {
    dependencies: rows.map((d) => dependencyDoc(d, crate.name, d.crate_downloads)),
    versions,
    meta: { total },
  };
}
