import type { Config } from '../../config/config.js';
import type { Db } from '../../db/create-db.js';
import { FsBlobStore } from '../../storage/fs-blob-store.js';
import { S3BlobStore, s3OptionsFromConfig } from '../../storage/s3-blob-store.js';
import type { ServiceContext } from '../context.js';
import type { BlobInfo, BlobStore } from '../../storage/blob-store.js';
import { crateFileKey } from '../../storage/keys.js';
import { hashStream } from '../check.service.js';
import { noProgress, type Progress } from '../progress.js';

/**
 * `wharf storage copy --to s3`: moves a registry's files from the folder store to a bucket while
 * its servers keep running on the folder. Every file under `crates/` and `mirror/` is copied
 * unless the target already holds that key with the same size (keys carry part of the checksum,
 * so the same key and size is the same file), which makes a rerun resume where a stopped one
 * ended and pick up what was published since. Then every file the database points to (each
 * version's, each stored mirror download's) is read back from the target and hashed against the
 * checksum recorded at publish. Nothing in the source changes.
 */
export interface CopyReport {
  /** Files found in the source. */
  files: number;
  copied: number;
  /** Already in the target with the same size. */
  skipped: number;
  /** Bytes copied. */
  bytes: number;
  /** Files read back from the target and matched with their recorded checksum. */
  verified: number;
  problems: string[];
}

const PREFIXES = ['crates/', 'mirror/'];

export async function copyBlobs(db: Db, source: BlobStore, target: BlobStore, progress: Progress = noProgress): Promise<CopyReport> {
  const files: BlobInfo[] = [];
  for (const prefix of PREFIXES) {
    for await (const info of source.list(prefix)) {
      // A half-written temporary file of a publish in flight (or one a crash left): not a blob.
      if (!info.key.endsWith('.tmp')) files.push(info);
    }
  }
  const report: CopyReport = { files: files.length, copied: 0, skipped: 0, bytes: 0, verified: 0, problems: [] };
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  let seenBytes = 0;
  for (const [i, file] of files.entries()) {
    const there = await target.stat(file.key);
    if (there?.size === file.size) {
      report.skipped++;
    } else {
      const data = await readWhole(source, file.key);
      if (data === null) {
        // Removed since the listing (an orphan cleaned by `wharf check --repair`).
        continue;
      }
      try {
        await target.put(file.key, data);
        report.copied++;
        report.bytes += data.length;
      } catch (err) {
        report.problems.push(`${file.key}: not copied (${(err as Error).message})`);
      }
    }
    seenBytes += file.size;
    progress({ files: i + 1, bytes: seenBytes, total: files.length, totalBytes }, `copying ${file.key}`);
  }

  const expected = await expectedFiles(db);
  for (const [i, want] of expected.entries()) {
    const found = await target.get(want.key);
    if (!found) {
      const inSource = await source.exists(want.key);
      report.problems.push(`${want.what}: its file ${want.key} is not in the target${inSource ? ' (published during the copy? run the copy again)' : ', nor in the folder: run `wharf check`'}`);
    } else {
      const sha256 = await hashStream(found.stream);
      if (sha256 !== want.checksum) report.problems.push(`${want.what}: its file ${want.key} in the target has sha256 ${sha256}, the database recorded ${want.checksum}`);
      else report.verified++;
    }
    progress({ files: i + 1, bytes: 0, total: expected.length }, `verifying ${want.key}`);
  }
  return report;
}

/** Every file the database points to, with the checksum it must hash to. */
async function expectedFiles(db: Db): Promise<Array<{ key: string; checksum: string; what: string }>> {
  const versions = await db
    .selectFrom('versions')
    .innerJoin('crates', 'crates.id', 'versions.crate_id')
    .select(['crates.name as name', 'versions.num as num', 'versions.checksum as checksum'])
    .orderBy('versions.id')
    .execute();
  const mirrored = await db.selectFrom('mirror_crate_files').select(['name', 'version', 'checksum', 'blob_key']).orderBy('name').orderBy('version').execute();
  return [
    ...versions.map((v) => ({ key: crateFileKey(v.name, v.num, v.checksum), checksum: v.checksum, what: `${v.name}@${v.num}` })),
    ...mirrored.map((m) => ({ key: m.blob_key, checksum: m.checksum, what: `mirrored ${m.name}@${m.version}` })),
  ];
}

async function readWhole(store: BlobStore, key: string): Promise<Buffer | null> {
  const file = await store.get(key);
  if (!file) return null;
  if (file.bytes) return file.bytes;
  const chunks: Buffer[] = [];
  for await (const chunk of file.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The copy from this registry's data folder to the bucket its settings name (`s3_bucket` and the
 * rest; `storage` itself may still be "fs": the servers keep running on the folder meanwhile).
 */
export async function copyFolderToBucket(ctx: ServiceContext, progress: Progress = noProgress): Promise<CopyReport & { where: string }> {
  const { config } = ctx;
  if (!config.s3Bucket) {
    throw new Error(
      'no bucket to copy to: set s3_bucket (WHARF_S3_BUCKET), and s3_endpoint, s3_region, s3_force_path_style and the credentials as the service needs ' +
        '(README "Object storage"); `storage` may stay "fs" until the copy is done',
    );
  }
  const target = new S3BlobStore(s3OptionsFromConfig(config));
  try {
    const report = await copyBlobs(ctx.db, new FsBlobStore(config.dataDir), target, progress);
    return { ...report, where: target.where };
  } finally {
    target.close();
  }
}

/** The wharf.toml lines that switch an instance to the bucket (the secret is never printed). */
export function bucketSettings(config: Config): string[] {
  const lines = ['storage = "s3"', `s3_bucket = "${config.s3Bucket}"`];
  if (config.s3Prefix) lines.push(`s3_prefix = "${config.s3Prefix}"`);
  lines.push(`s3_region = "${config.s3Region}"`);
  if (config.s3Endpoint) lines.push(`s3_endpoint = "${config.s3Endpoint}"`);
  if (config.s3ForcePathStyle) lines.push('s3_force_path_style = true');
  if (config.s3AccessKeyId) lines.push(`s3_access_key_id = "${config.s3AccessKeyId}"`, 's3_secret_access_key = "…" (as now; or WHARF_S3_SECRET_ACCESS_KEY)');
  return lines;
}
