import { badRequest, crateNotFound, notFound, versionNotFound } from '../core/errors.js';
import {
  findCrateByName,
  listDependencies,
  listOwners,
  listVersionKeys,
  listVersionsByIds,
  type CrateRow,
  type DependencyRow,
  type VersionRow,
} from '../db/repositories/crate.repository.js';
import { listOwnerTeams } from '../db/repositories/team.repository.js';
import { findUserByLogin } from '../db/repositories/user.repository.js';
import type { ServiceContext } from './context.js';
import { bySemverDescending, defaultOfSorted } from '../core/version-order.js';
import { mirrorEnabled } from '../config/config.js';
import { mirrorIndexFileExists } from '../db/repositories/mirror.repository.js';

/** What the web pages show: the home page lists, a crate with everything about one version, a user's crates. */

export interface CrateListItem {
  name: string;
  description: string | null;
  downloads: number;
  version: string | null;
  updatedAt: string;
}

export interface RegistryTotals {
  crates: number;
  versions: number;
  downloads: number;
}

export interface HomeData {
  totals: RegistryTotals;
  /** Crates (one line each, however many versions they published) by their last update. */
  recent: CrateListItem[];
  /** Crates with at least one download, most first. */
  popular: CrateListItem[];
}

export async function homeData(ctx: ServiceContext, limit = 10): Promise<HomeData> {
  const { db } = ctx;
  const counts = await db
    .selectFrom('crates')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('downloads').as('downloads')])
    .executeTakeFirstOrThrow();
  const versions = await db.selectFrom('versions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const recent = await db.selectFrom('crates').selectAll().orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  const popular = await db
    .selectFrom('crates')
    .selectAll()
    .where('downloads', '>', 0)
    .orderBy('downloads', 'desc')
    .orderBy('canonical_name')
    .limit(limit)
    .execute();
  return {
    totals: { crates: Number(counts.n), versions: Number(versions.n), downloads: Number(counts.downloads ?? 0) },
    recent: listItems(recent),
    popular: listItems(popular),
  };
}

/** List items; the default version is kept on the crate row by publish and yank, so a list reads no versions. */
function listItems(crates: CrateRow[]): CrateListItem[] {
  return crates.map((c) => ({
    name: c.name,
    description: c.description,
    downloads: Number(c.downloads),
    version: c.default_version,
    updatedAt: c.updated_at,
  }));
}

/** Rows of the crate page's versions table. */
export const VERSIONS_PER_PAGE = 50;

type ShownVersion = VersionRow & { publishedBy: string | null };

export interface CratePage {
  crate: CrateRow;
  /** The shown version's description and keywords (the crate's hold the highest version's). */
  description: string | null;
  keywords: string[];
  categories: string[];
  /** One page of the versions table, highest first. */
  versions: ShownVersion[];
  versionsPage: { page: number; pages: number; total: number };
  /** The version shown (the default one, or the one in the URL). */
  version: ShownVersion;
  isDefault: boolean;
  features: Record<string, string[]>;
  dependencies: Record<'normal' | 'build' | 'dev', DependencyRow[]>;
  owners: Array<{ id: number; login: string; name: string | null }>;
  /** Teams that own the crate (their members publish and yank). */
  teams: Array<{ name: string; description: string | null }>;
  /** Whether the shown version is the highest (whose metadata the crate row holds). */
  isHighest: boolean;
  /** The mirrored registry has a crate of the same name (so a dependent must name this registry). */
  alsoUpstream: boolean;
}

/**
 * A crate page with page `tablePage` of its versions table. Only that page's versions (and the
 * one shown) are read in full, so the page costs little more for thousands of versions.
 */
export async function cratePage(ctx: ServiceContext, name: string, num?: string, tablePage = 1): Promise<CratePage> {
  const { db } = ctx;
  const crate = await findCrateByName(db, name);
  if (!crate) throw crateNotFound(name);
  const keys = await listVersionKeys(db, crate.id);
  const sorted = bySemverDescending(keys);
  const fallback = defaultOfSorted(sorted);
  const shown = num === undefined ? fallback : keys.find((v) => v.num === num);
  if (!shown) throw num === undefined ? crateNotFound(name) : versionNotFound(crate.name, num);
  const pages = Math.max(1, Math.ceil(sorted.length / VERSIONS_PER_PAGE));
  if (tablePage > pages) throw badRequest(`\`page\` must be from 1 to ${pages}: ${crate.name} has ${sorted.length} versions, ${VERSIONS_PER_PAGE} to a page`);
  const onPage = sorted.slice((tablePage - 1) * VERSIONS_PER_PAGE, tablePage * VERSIONS_PER_PAGE);
  const rows = await listVersionsByIds(db, [...new Set([shown.id, ...onPage.map((v) => v.id)])]);
  const publisherIds = [...new Set(rows.map((v) => v.published_by).filter((id): id is number => id !== null))];
  const logins = new Map<number, string>();
  if (publisherIds.length > 0) {
    for (const u of await db.selectFrom('users').select(['id', 'login']).where('id', 'in', publisherIds).execute()) logins.set(u.id, u.login);
  }
  const byId = new Map(rows.map((v) => [v.id, { ...v, publishedBy: v.published_by !== null ? (logins.get(v.published_by) ?? null) : null }]));
  const version = byId.get(shown.id);
  if (!version) throw versionNotFound(crate.name, shown.num);
  const dependencies: CratePage['dependencies'] = { normal: [], build: [], dev: [] };
  for (const d of await listDependencies(db, [version.id])) {
    (dependencies[d.kind as keyof CratePage['dependencies']] ?? dependencies.normal).push(d);
  }
  return {
    crate,
    description: version.description,
    // Versions published before keywords were kept per version show the crate's only when highest.
    keywords: JSON.parse(version.keywords ?? (version.id === sorted[0]!.id ? crate.keywords : '[]')) as string[],
    categories: JSON.parse(crate.categories) as string[],
    versions: onPage.map((v) => byId.get(v.id)).filter((v): v is ShownVersion => v !== undefined),
    versionsPage: { page: tablePage, pages, total: sorted.length },
    version,
    isDefault: version.id === fallback?.id,
    features: JSON.parse(version.features) as Record<string, string[]>,
    dependencies,
    owners: await listOwners(db, crate.id),
    teams: await listOwnerTeams(db, crate.id),
    isHighest: version.id === sorted[0]!.id,
    alsoUpstream: mirrorEnabled(ctx.config) && (await mirrorIndexFileExists(db, crate.name.toLowerCase())),
  };
}

export interface UserPage {
  login: string;
  name: string | null;
  crates: CrateListItem[];
}

export async function userPage(ctx: ServiceContext, login: string): Promise<UserPage> {
  const user = await findUserByLogin(ctx.db, login);
  if (!user) throw notFound(`no user with the login \`${login}\``);
  const crates = await ctx.db
    .selectFrom('crates')
    .innerJoin('crate_owners', 'crate_owners.crate_id', 'crates.id')
    .selectAll('crates')
    .where('crate_owners.user_id', '=', user.id)
    .orderBy('crates.canonical_name')
    .limit(1000)
    .execute();
  return { login: user.login, name: user.name, crates: listItems(crates) };
}
