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

/** Settings that only make sense together; each problem names the setting to change. */
export function checkStorage(c: Partial<Config>, problems: string[]): void {
  if (c.storage === 's3' && !c.s3Bucket) problems.push('s3_bucket: must be set when storage = "s3"');
  if ((c.s3AccessKeyId == null) !== (c.s3SecretAccessKey == null)) {
    problems.push('s3_access_key_id and s3_secret_access_key: set both, or neither to use the AWS SDK\'s standard credentials (environment, files, instance role)');
  }
  if (c.downloads === 'redirect' && c.storage !== 's3') {
    problems.push('downloads: "redirect" sends clients to presigned URLs of the bucket, so it needs storage = "s3" (the folder store has no URL to send them to)');
  }
}
