import { crateNotFound, notFound, versionNotFound } from '../core/errors.js';
import {
  findCrateByCanonicalName,
  findVersion,
  listVersionKeys,
  listVersionsByIds,
  type CrateRow,
  type VersionRow,
} from '../db/repositories/crate.repository.js';
import { findReadme } from '../db/repositories/readme.repository.js';
import { NO_README } from './readme/readme.service.js';
import type { ServiceContext } from './context.js';
import { versionDocs } from './version-doc.js';
import { type VersionPageQuery, sliceVersions } from './version-pages.js';

/** The read side of the API in crates.io's shapes: versions and the crate and version they hang from. */

/** One version's document, as the version routes answer it. */
export async function describeVersion(ctx: ServiceContext, crate: CrateRow, version: VersionRow) {
  const [doc] = await versionDocs(ctx, crate, [version]);
  return doc;
}

/**
 * GET /crates/{name}/versions, as crates.io answers it: newest first (`sort=date`) or highest
 * first (`sort=semver`); with `per_page` (at most 100), one page, reached by `seek` (the
 * `next_page` given) or `page`. Without any of them, every version, up to
 * MAX_UNPAGED_VERSIONS; `meta.next_page` then says where the rest is.
 */
export async function getCrateVersions(ctx: ServiceContext, name: string, query: VersionPageQuery) {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  const slice = sliceVersions(await listVersionKeys(ctx.db, crate.id), query);
  const rows = await listVersionsByIds(ctx.db, slice.versions.map((v) => v.id));
  return { versions: await versionDocs(ctx, crate, rows), meta: { total: slice.total, next_page: slice.nextPage } };
}

/** The crate a route names, by either spelling; 404 when there is none. */
export async function loadCrate(ctx: ServiceContext, name: string): Promise<CrateRow> {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  return crate;
}

/** The crate and the version a version route names; 404 for either missing. */
export async function loadCrateVersion(ctx: ServiceContext, name: string, num: string): Promise<{ crate: CrateRow; version: VersionRow }> {
  const crate = await loadCrate(ctx, name);
  const version = await findVersion(ctx.db, crate.id, num);
  if (!version) throw versionNotFound(crate.name, num);
  return { crate, version };
}

/** `GET /crates/{name}/{version}`: the version alone, as on crates.io (its dependencies have their own route). */
export async function getVersion(ctx: ServiceContext, name: string, num: string) {
  const { crate, version } = await loadCrateVersion(ctx, name, num);
  return { version: await describeVersion(ctx, crate, version) };
}

/** `GET /crates/{name}/{version}/readme`: the README rendered when the version was published or first shown. */
export async function getVersionReadme(ctx: ServiceContext, name: string, num: string): Promise<string> {
  const { crate, version } = await loadCrateVersion(ctx, name, num);
  const readme = await findReadme(ctx.db, version.id);
  if (!readme || readme.format === NO_README) throw notFound(`\`${crate.name}@${version.num}\` has no rendered README`);
  return readme.html;
}
