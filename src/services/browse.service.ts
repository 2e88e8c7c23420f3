import { crateNotFound, notFound, versionNotFound } from '../core/errors.js';
import { compareVersions, isPrerelease, parseVersion } from '../core/semver.js';
import {
  findCrateByName,
  listDependencies,
  listOwners,
  listVersions,
  type CrateRow,
  type DependencyRow,
  type VersionRow,
} from '../db/repositories/crate.repository.js';
import { findUserByLogin } from '../db/repositories/user.repository.js';
import type { ServiceContext } from './context.js';
import { mirrorEnabled } from '../config/config.js';
import { findMirrorIndexFile } from '../db/repositories/mirror.repository.js';

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
  recent: Array<{ name: string; version: string; publishedAt: string; description: string | null }>;
  popular: CrateListItem[];
}

export async function homeData(ctx: ServiceContext, limit = 10): Promise<HomeData> {
  const { db } = ctx;
  const counts = await db
    .selectFrom('crates')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('downloads').as('downloads')])
    .executeTakeFirstOrThrow();
  const versions = await db.selectFrom('versions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const recent = await db
    .selectFrom('versions')
    .innerJoin('crates', 'crates.id', 'versions.crate_id')
    .select(['crates.name', 'versions.num', 'versions.created_at', 'crates.description'])
    .where('versions.yanked', '=', 0)
    .orderBy('versions.id', 'desc')
    .limit(limit)
    .execute();
  const popular = await db.selectFrom('crates').selectAll().orderBy('downloads', 'desc').orderBy('canonical_name').limit(limit).execute();
  return {
    totals: { crates: Number(counts.n), versions: Number(versions.n), downloads: Number(counts.downloads ?? 0) },
    recent: recent.map((r) => ({ name: r.name, version: r.num, publishedAt: r.created_at, description: r.description })),
    popular: await withVersions(ctx, popular),
  };
}

/** Semver order; a version the parser refuses (never stored by publish, but the page must not fail on it) sorts first. */
function compareNums(a: string, b: string): number {
  const parse = (s: string) => {
    try {
      return parseVersion(s);
    } catch {
      return null;
    }
  };
  const va = parse(a);
  const vb = parse(b);
  if (va && vb) return compareVersions(va, vb);
  return va ? 1 : vb ? -1 : a < b ? -1 : a > b ? 1 : 0;
}

function prerelease(num: string): boolean {
  try {
    return isPrerelease(parseVersion(num));
  } catch {
    return true;
  }
}

/** The version a crate page shows by default: the highest unyanked stable, else the highest unyanked, else the highest. */
export function defaultVersion(versions: readonly VersionRow[]): VersionRow | undefined {
  const pick = (keep: (v: VersionRow) => boolean) =>
    versions.filter(keep).reduce<VersionRow | undefined>((best, v) => (!best || compareNums(v.num, best.num) > 0 ? v : best), undefined);
  return pick((v) => v.yanked === 0 && !prerelease(v.num)) ?? pick((v) => v.yanked === 0) ?? pick(() => true);
}

async function withVersions(ctx: ServiceContext, crates: CrateRow[]): Promise<CrateListItem[]> {
  const byCrate = new Map<number, VersionRow[]>();
  if (crates.length > 0) {
    const rows = await ctx.db.selectFrom('versions').selectAll().where('crate_id', 'in', crates.map((c) => c.id)).execute();
    for (const v of rows) byCrate.set(v.crate_id, [...(byCrate.get(v.crate_id) ?? []), v]);
  }
  return crates.map((c) => ({
    name: c.name,
    description: c.description,
    downloads: Number(c.downloads),
    version: defaultVersion(byCrate.get(c.id) ?? [])?.num ?? null,
    updatedAt: c.updated_at,
  }));
}

export interface CratePage {
  crate: CrateRow;
  keywords: string[];
  categories: string[];
  /** Newest first. */
  versions: Array<VersionRow & { publishedBy: string | null }>;
  /** The version shown (the default one, or the one in the URL). */
  version: VersionRow & { publishedBy: string | null };
  isDefault: boolean;
  features: Record<string, string[]>;
  dependencies: Record<'normal' | 'build' | 'dev', DependencyRow[]>;
  owners: Array<{ id: number; login: string; name: string | null }>;
  /** The mirrored registry has a crate of the same name (so a dependent must name this registry). */
  alsoUpstream: boolean;
}

export async function cratePage(ctx: ServiceContext, name: string, num?: string): Promise<CratePage> {
  const { db } = ctx;
  const crate = await findCrateByName(db, name);
  if (!crate) throw crateNotFound(name);
  const rows = await listVersions(db, crate.id);
  const publisherIds = [...new Set(rows.map((v) => v.published_by).filter((id): id is number => id !== null))];
  const logins = new Map<number, string>();
  if (publisherIds.length > 0) {
    for (const u of await db.selectFrom('users').select(['id', 'login']).where('id', 'in', publisherIds).execute()) logins.set(u.id, u.login);
  }
  const versions = rows
    .map((v) => ({ ...v, publishedBy: v.published_by !== null ? (logins.get(v.published_by) ?? null) : null }))
    .sort((a, b) => compareNums(b.num, a.num));
  const fallback = defaultVersion(rows);
  const version = num === undefined ? versions.find((v) => v.id === fallback?.id) : versions.find((v) => v.num === num);
  if (!version) throw num === undefined ? crateNotFound(name) : versionNotFound(crate.name, num);
  const dependencies: CratePage['dependencies'] = { normal: [], build: [], dev: [] };
  for (const d of await listDependencies(db, [version.id])) {
    (dependencies[d.kind as keyof CratePage['dependencies']] ?? dependencies.normal).push(d);
  }
  return {
    crate,
    keywords: JSON.parse(crate.keywords) as string[],
    categories: JSON.parse(crate.categories) as string[],
    versions,
    version,
    isDefault: version.id === fallback?.id,
    features: JSON.parse(version.features) as Record<string, string[]>,
    dependencies,
    owners: await listOwners(db, crate.id),
    alsoUpstream: mirrorEnabled(ctx.config) && (await findMirrorIndexFile(db, crate.name.toLowerCase())) !== undefined,
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
  return { login: user.login, name: user.name, crates: await withVersions(ctx, crates) };
}
