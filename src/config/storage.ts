import { realpathSync } from 'node:fs';
import { dirname, basename, join, relative, resolve, isAbsolute } from 'node:path';
import type { Config } from './config.js';

/** The object-storage settings (README "Object storage"): shapes of single values, then how they fit together. */

/** An S3 bucket name as every S3-compatible service accepts it (lowercase DNS-like, 3-63 characters). */
export function bucketName(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s)) throw new Error(`must be a bucket name (3-63 lowercase letters, digits, dots and dashes), got \`${String(v)}\``);
  return s;
}

/** A key prefix such as `wharf/` or `registry/prod`: stored without a leading slash and with a trailing one, or empty. */
export function keyPrefix(v: unknown): string {
  if (typeof v !== 'string') throw new Error('must be a string such as "wharf/"');
  const s = v.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  if (s === '') return '';
  if (s.split('/').some((part) => part === '' || part === '.' || part === '..')) throw new Error(`must be a plain path such as "wharf/", got \`${v}\``);
  return `${s}/`;
}

/**
 * `static_index_bucket`: `BUCKET` or `BUCKET/PREFIX` (the folder of the bucket the copy goes in),
 * kept as `BUCKET` or `BUCKET/PREFIX` without slashes at either end; `bucketPlace` splits it.
 */
export function bucketPath(v: unknown): string {
  if (typeof v !== 'string') throw new Error('must be a bucket, or a bucket and a folder in it, such as "wharf-index" or "wharf-index/prod"');
  const s = v.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  const slash = s.indexOf('/');
  const bucket = bucketName(slash < 0 ? s : s.slice(0, slash));
  const prefix = slash < 0 ? '' : keyPrefix(s.slice(slash + 1));
  return bucket + (prefix ? `/${prefix.slice(0, -1)}` : '');
}

/** The bucket and the key prefix (empty, or ending with `/`) of a `static_index_bucket` value. */
export function bucketPlace(path: string): { bucket: string; prefix: string } {
  const slash = path.indexOf('/');
  return slash < 0 ? { bucket: path, prefix: '' } : { bucket: path.slice(0, slash), prefix: `${path.slice(slash + 1)}/` };
}

/** Settings that only make sense together; each problem names the setting to change. */
export function checkStorage(c: Partial<Config>, problems: string[]): void {
  if (c.storage === 's3' && !c.s3Bucket) problems.push('s3_bucket: must be set when storage = "s3"');
  if ((c.s3AccessKeyId == null) !== (c.s3SecretAccessKey == null)) {
    problems.push('s3_access_key_id and s3_secret_access_key: set both, or neither to use the AWS SDK\'s standard credentials (environment, files, instance role)');
  }
  if (c.staticIndexDir && c.staticIndexBucket) {
    problems.push('static_index_dir and static_index_bucket: set one of them (the static copy of the index goes to one place: a folder or a bucket)');
  }
  if (c.staticDlBaseUrl && !c.staticIndexDir && !c.staticIndexBucket) {
    problems.push('static_dl_base_url: needs static_index_dir or static_index_bucket (the crate files are written into the static copy)');
  }
  if (c.staticIndexDir && c.dataDir && overlapsData(c.staticIndexDir, c.dataDir)) {
    problems.push(`static_index_dir: ${c.staticIndexDir} overlaps data_dir (${c.dataDir}); the static copy is kept in line by deleting the index files it no longer needs, so it needs a folder of its own (outside the data folder, or in a new folder of it)`);
  }
  if (c.staticIndexBucket && c.storage === 's3' && c.s3Bucket) {
    const place = bucketPlace(c.staticIndexBucket);
    const files = c.s3Prefix ?? '';
    // Like a folder: the copy may not hold the crate files' prefix, nor lie in its own folders.
    const overlaps = files.startsWith(place.prefix) || ['crates/', 'mirror/'].some((own) => place.prefix.startsWith(files + own));
    if (place.bucket === c.s3Bucket && overlaps) {
      problems.push(`static_index_bucket: ${c.staticIndexBucket} overlaps the crate files' place (bucket ${c.s3Bucket}${files ? `, prefix ${files}` : ''}); give the static copy another bucket, or a folder of its own in this one that neither holds s3_prefix nor lies in its crates/ or mirror/`);
    }
  }
  if (c.downloads === 'redirect' && c.storage !== 's3') {
    problems.push('downloads: "redirect" sends clients to presigned URLs of the bucket, so it needs storage = "s3" (the folder store has no URL to send them to)');
  }
}

/**
 * Whether the static folder holds the data folder (or is it), or lies in one of the data folder's
 * own folders (the crate files, the mirror's, the locks). A folder of its own inside the data
 * folder is fine. Symbolic links of the parts that exist are followed.
 */
function overlapsData(staticDir: string, dataDir: string): boolean {
  const [dir, data] = [realPath(staticDir), realPath(dataDir)];
  const inside = (outer: string, inner: string) => {
    const rel = relative(outer, inner);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  return inside(dir, data) || ['crates', 'mirror', 'locks'].some((own) => inside(join(data, own), dir));
}

/** The real path of `path`, or of its nearest existing parent joined with the rest (a folder not made yet). */
function realPath(path: string): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    const parent = dirname(full);
    return parent === full ? full : join(realPath(parent), basename(full));
  }
}
