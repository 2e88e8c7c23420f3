import { createHash } from 'node:crypto';
import type { Config } from '../../config/config.js';
import { listVersions, type CrateRow, type VersionRow } from '../../db/repositories/crate.repository.js';
import { crateFileKey } from '../../storage/keys.js';
import type { StaticTarget } from '../../storage/static-target.js';
import type { ServiceContext } from '../context.js';

/**
 * The .crate files of the static copy, when `static_dl_base_url` is set: every version's file at
 * `crates/{name}/{version}/{sha256}.crate`, which cargo's `dl` template below addresses. The path
 * names the checksum, so a URL never changes its bytes (a version deleted and published again
 * gets another URL) and a CDN may cache the files for ever.
 */
export const CRATES_FOLDER = 'crates/';
const DL_TEMPLATE = '/{crate}/{version}/{sha256-checksum}.crate';

export function staticCratePath(name: string, version: string, checksum: string): string {
  return `${CRATES_FOLDER}${name}/${version}/${checksum}.crate`;
}

/**
 * Where a version's file is in the copy. cargo puts the version into the `dl` URL as it is, `+`
 * of build metadata (`1.0.0+build.5`) included, and S3's REST API (so a bucket's website endpoint
 * and a CDN in front of it) reads a `+` in a URL's path as a space: such a version's file is also
 * stored under the path with spaces, as crates.io stores its own. nginx on a folder reads the `+`
 * as it is, and the second file costs one copy for the few versions with build metadata.
 */
export function staticCratePaths(name: string, version: string, checksum: string): string[] {
  const path = staticCratePath(name, version, checksum);
  return version.includes('+') ? [path, staticCratePath(name, version.replaceAll('+', ' '), checksum)] : [path];
}

/** The `dl` of the static copy's config.json: the copy's crate files, or Wharf's downloads. */
export function staticDl(config: Config): string {
  return config.staticDlBaseUrl ? `${config.staticDlBaseUrl}${DL_TEMPLATE}` : `${config.publicUrl}/api/v1/crates`;
}

/** The paths every version of `crate` has in the copy. */
export async function expectedCrateFiles(ctx: ServiceContext, crate: CrateRow): Promise<Map<string, VersionRow>> {
  const versions = await listVersions(ctx.db, crate.id);
  return new Map(versions.flatMap((v) => staticCratePaths(crate.name, v.num, v.checksum).map((path) => [path, v] as const)));
}

/**
 * Copies from the blob store the files of `crate`'s versions that the copy lacks (files never
 * change, so a file present is left alone), before the index file names them. Returns the files
 * of versions that no longer exist, to remove once the index file no longer names them.
 */
export async function addCrateFiles(ctx: ServiceContext, target: StaticTarget, crate: CrateRow): Promise<string[]> {
  const expected = await expectedCrateFiles(ctx, crate);
  for (const [path, v] of expected) {
    if (await target.exists(path)) continue;
    const file = await ctx.blobs.get(crateFileKey(crate.name, v.num, v.checksum));
    if (!file) throw new Error(`${crate.name}@${v.num} has no file in the blob store; run \`wharf check\``);
    await target.put(path, file.bytes ?? (await readAll(file.stream)));
  }
  const stale: string[] = [];
  for await (const path of target.list(`${CRATES_FOLDER}${crate.name}/`)) if (!expected.has(path)) stale.push(path);
  return stale;
}

/** Removes every file of a crate that no longer exists (`name` as it was spelled). */
export async function removeCrateFiles(target: StaticTarget, name: string): Promise<void> {
  const paths: string[] = [];
  for await (const path of target.list(`${CRATES_FOLDER}${name}/`)) paths.push(path);
  for (const path of paths) await target.remove(path);
}

/**
 * The first of `crate`'s files that is missing or (with `hash`: `wharf check`) whose bytes do not
 * hash to the version's checksum. Without `hash` (a server's start) only presence is looked at.
 */
export async function crateFileProblem(
  ctx: ServiceContext,
  target: StaticTarget,
  crate: CrateRow,
  { hash }: { hash: boolean },
): Promise<{ kind: 'missing' | 'stale'; path: string; message: string } | null> {
  for (const [path, v] of await expectedCrateFiles(ctx, crate)) {
    if (!hash) {
      if (!(await target.exists(path))) return { kind: 'missing', path, message: `${path} (${crate.name}@${v.num}) is missing` };
      continue;
    }
    const bytes = await target.read(path);
    if (!bytes) return { kind: 'missing', path, message: `${path} (${crate.name}@${v.num}) is missing` };
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== v.checksum) return { kind: 'stale', path, message: `${path} (${crate.name}@${v.num}) has sha256 ${sha256}, not the published ${v.checksum}` };
  }
  return null;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
