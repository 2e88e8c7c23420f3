import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { isMirroredSource, parseCargoLock } from '../../core/cargo-lock.js';
import { badRequest } from '../../core/errors.js';
import { parseUpstreamIndex, summarizeUpstreamIndex, type UpstreamVersion } from '../../core/mirror-index.js';
import {
  type ExportedCrateFile,
  type ExportedIndexFile,
  exportedCratePath,
  exportedIndexPath,
  MANIFEST_FILE,
  type MirrorManifest,
  parseIsoTime,
  parseMirrorManifest,
} from '../../core/mirror-manifest.js';
import {
  findMirrorCrateFile,
  findMirrorIndexFile,
  listMirrorCrateFiles,
  listMirrorIndexFiles,
  type MirrorCrateRow,
  type MirrorIndexRow,
  saveMirrorIndexFile,
} from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';
import { sha256Hex, storeMirrorCrate } from './mirror-crates.service.js';
import type { Progress } from './mirror.js';

export interface TransferReport {
  indexFiles: number;
  crateFiles: number;
  bytes: number;
  /** Import: files this Wharf already held (a resumed or repeated import skips them). */
  alreadyPresent: number;
}

/**
 * `wharf mirror export DIR`: what is cached (or only what the lockfiles need) into a new or empty
 * folder, the manifest written last, so a folder without one is known to be incomplete.
 */
export async function exportMirror(
  ctx: ServiceContext,
  dir: string,
  lockfiles: Array<{ path: string; text: string }>,
  progress: Progress = () => undefined,
): Promise<TransferReport> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw badRequest(`${dir} is not empty; export into a new or empty folder`);
  const { indexRows, crateRows } = lockfiles.length > 0 ? await selectForLockfiles(ctx, lockfiles) : await selectAll(ctx);

  const manifest: MirrorManifest = {
    format: 'wharf-mirror',
    format_version: 1,
    created_at: ctx.clock.now().toISOString(),
    upstream: ctx.config.mirrorUpstream,
    index_files: [],
    crate_files: [],
  };
  let bytes = 0;
  for (const row of crateRows) {
    const file = await ctx.blobs.get(row.blob_key);
    if (!file) throw badRequest(`the cached file of ${row.name}@${row.version} (${row.blob_key}) is missing from storage; run \`wharf mirror remove ${row.name}@${row.version}\` and sync it again`);
    const data = file.bytes ?? (await readAll(file.stream));
    const path = exportedCratePath(row.name, row.version);
    await writeIn(dir, path, data);
    manifest.crate_files.push({ name: row.name, version: row.version, path, sha256: sha256Hex(data), size: data.length });
    bytes += data.length;
    progress({ files: manifest.crate_files.length, bytes, total: crateRows.length }, `${row.name}@${row.version}`);
  }
  for (const row of indexRows) {
    const data = Buffer.from(row.body, 'utf8');
    const path = exportedIndexPath(row.name);
    await writeIn(dir, path, data);
    manifest.index_files.push({
      name: row.name,
      path,
      sha256: sha256Hex(data),
      size: data.length,
      upstream_etag: row.upstream_etag,
      upstream_last_modified: row.upstream_last_modified,
      checked_at: row.checked_at,
    });
    bytes += data.length;
  }
  const tmp = join(dir, `${MANIFEST_FILE}.tmp`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
  await rename(tmp, join(dir, MANIFEST_FILE));
  return { indexFiles: indexRows.length, crateFiles: crateRows.length, bytes, alreadyPresent: 0 };
}

async function selectAll(ctx: ServiceContext): Promise<{ indexRows: MirrorIndexRow[]; crateRows: MirrorCrateRow[] }> {
  const indexRows = await listMirrorIndexFiles(ctx.db);
  const names = new Set(indexRows.map((r) => r.name));
  // A .crate travels with its index file, which import needs to verify it.
  const crateRows = (await listMirrorCrateFiles(ctx.db)).filter((r) => names.has(r.name));
  return { indexRows, crateRows };
}

async function selectForLockfiles(ctx: ServiceContext, lockfiles: Array<{ path: string; text: string }>) {
  const indexRows = new Map<string, MirrorIndexRow>();
  const crateRows = new Map<string, MirrorCrateRow>();
  const missing: string[] = [];
  for (const lock of lockfiles) {
    let packages;
    try {
      packages = parseCargoLock(lock.text);
    } catch (err) {
      throw badRequest(`${lock.path} is not a Cargo.lock: ${(err as Error).message}`);
    }
    for (const p of packages.filter((p) => isMirroredSource(p.source, ctx.config.mirrorUpstream))) {
      const name = p.name.toLowerCase();
      const crate = await findMirrorCrateFile(ctx.db, name, p.version);
      const index = indexRows.get(name) ?? (await findMirrorIndexFile(ctx.db, name));
      if (!crate || !index) {
        missing.push(`${p.name}@${p.version}`);
        continue;
      }
      crateRows.set(`${name}@${p.version}`, crate);
      indexRows.set(name, index);
    }
  }
  if (missing.length > 0) throw badRequest(`not in the mirror's cache: ${missing.join(', ')}; run \`wharf mirror sync\` with the same lockfiles first`);
  return { indexRows: [...indexRows.values()], crateRows: [...crateRows.values()] };
}

/** The check time of an imported file on a Wharf with an upstream: older than any TTL. */
const REVALIDATE_AT_NEXT_READ = new Date(0).toISOString();

/**
 * `wharf mirror import DIR`: verifies every file against the manifest and every .crate against
 * its index line, refuses the whole folder when anything is wrong (naming each bad file by its
 * path in the folder), then loads the .crate files and the index files. Files already held are
 * skipped, so an interrupted import is resumed by running it again.
 */
export async function importMirror(ctx: ServiceContext, dir: string, progress: Progress = () => undefined): Promise<TransferReport> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw badRequest(`${dir} has no ${MANIFEST_FILE}: it is not a complete export (the manifest is written last)`);
  }
  let manifest: MirrorManifest;
  try {
    manifest = parseMirrorManifest(text);
  } catch (err) {
    throw badRequest(`${dir}: ${(err as Error).message}`);
  }
  const configured = ctx.config.mirrorUpstream;
  if (configured !== null && manifest.upstream !== configured) {
    throw badRequest(
      `refused ${dir}: it was exported from a mirror of ${manifest.upstream ?? 'no upstream'}, but this Wharf mirrors ${configured} (mirror_upstream); nothing was imported`,
    );
  }
  const { files, lines, bad } = await verifyFolder(ctx, dir, manifest);
  if (bad.length > 0) throw badRequest(`refused ${dir}: ${bad.length} bad file(s), nothing was imported\n${bad.map((b) => `  ${b}`).join('\n')}`);

  const report: TransferReport = { indexFiles: 0, crateFiles: 0, bytes: 0, alreadyPresent: 0 };
  for (const f of manifest.crate_files) {
    const row = await findMirrorCrateFile(ctx.db, f.name, f.version);
    if (row && (await ctx.blobs.exists(row.blob_key))) {
      report.alreadyPresent += 1;
      continue;
    }
    const data = await readFile(join(dir, f.path));
    if (sha256Hex(data) !== f.sha256) throw badRequest(`${f.path} changed while it was imported; run the import again`);
    await storeMirrorCrate(ctx, f.name, f.version, f.sha256, data);
    report.crateFiles += 1;
    report.bytes += f.size;
    progress({ files: report.crateFiles + report.alreadyPresent, bytes: report.bytes, total: manifest.crate_files.length }, `${f.name}@${f.version}`);
  }
  const now = ctx.clock.now();
  // Nothing in the folder is trusted beyond the bytes its checksums cover: a check time is at most
  // now, and the upstream's validators are not imported (a 304 must never confirm bytes the
  // upstream did not send here). A Wharf that can ask the upstream revalidates each imported file
  // at its next read, so a tampered line lasts until then at most.
  const online = configured !== null && !ctx.config.mirrorOffline;
  for (const f of manifest.index_files) {
    const existing = await findMirrorIndexFile(ctx.db, f.name);
    const body = files.get(f.path)!.toString('utf8');
    const claimed = new Date(Math.min(parseIsoTime(f.checked_at)!.getTime(), now.getTime())).toISOString();
    // A newer copy (fetched or imported later) is kept.
    if (existing && (existing.body === body || existing.checked_at > claimed)) {
      report.alreadyPresent += 1;
      continue;
    }
    await saveMirrorIndexFile(ctx.db, {
      name: f.name,
      body,
      upstream_etag: null,
      upstream_last_modified: null,
      upstream_status: null,
      checked_at: online ? REVALIDATE_AT_NEXT_READ : claimed,
      changed_at: now.toISOString(),
      ...summarizeUpstreamIndex(lines.get(f.name)!),
    });
    report.indexFiles += 1;
    report.bytes += f.size;
  }
  return report;
}

/** Every problem of the folder, each naming its file by its path in the folder; the good files' bytes. */
async function verifyFolder(ctx: ServiceContext, dir: string, manifest: MirrorManifest) {
  const files = new Map<string, Buffer>();
  const bad: string[] = [];
  const listed = new Set<string>([MANIFEST_FILE]);
  // Index files are kept in memory to be parsed; .crate files are hashed as streams and read
  // again (and hashed again) when stored, so a large export never sits in memory.
  const check = async (f: ExportedIndexFile | ExportedCrateFile, keep: boolean): Promise<boolean> => {
    listed.add(f.path);
    let digest: string;
    try {
      if (keep) {
        const data = await readFile(join(dir, f.path));
        files.set(f.path, data);
        digest = sha256Hex(data);
      } else {
        digest = await hashFile(join(dir, f.path));
      }
    } catch {
      bad.push(`${f.path}: missing`);
      return false;
    }
    if (digest !== f.sha256) {
      bad.push(`${f.path}: SHA-256 ${digest}, but the manifest says ${f.sha256}`);
      return false;
    }
    return true;
  };

  const lines = new Map<string, UpstreamVersion[]>();
  for (const f of manifest.index_files) {
    if (!(await check(f, true))) continue;
    try {
      lines.set(f.name, parseUpstreamIndex(files.get(f.path)!, f.name));
    } catch (err) {
      bad.push(`${f.path}: not an index file of \`${f.name}\`: ${(err as Error).message}`);
    }
  }
  for (const f of manifest.crate_files) {
    if (!(await check(f, false))) continue;
    const versions = lines.get(f.name);
    const line = versions?.find((v) => v.vers === f.version);
    if (!versions) bad.push(`${f.path}: its index file ${exportedIndexPath(f.name)} is not a good part of the export`);
    else if (!line) bad.push(`${f.path}: ${exportedIndexPath(f.name)} has no line for version ${f.version}`);
    else if (line.cksum !== f.sha256) bad.push(`${f.path}: SHA-256 ${f.sha256}, but its index line says ${line.cksum}`);
    else {
      const held = await findMirrorCrateFile(ctx.db, f.name, f.version);
      if (held && held.checksum !== f.sha256) bad.push(`${f.path}: this Wharf already holds ${f.name}@${f.version} with SHA-256 ${held.checksum}`);
    }
  }
  for (const path of await listFiles(dir)) {
    if (!listed.has(path)) bad.push(`${path}: not listed in ${MANIFEST_FILE}`);
  }
  return { files, lines, bad };
}

/** Every file under `dir`, by its slash-separated path relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

async function writeIn(dir: string, path: string, data: Buffer): Promise<void> {
  const target = join(dir, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, data, { flag: 'wx' });
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
