import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ WHARF_CONFIG: '/nonexistent-wharf.toml', ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('object storage settings', () => {
  it('defaults to the folder store and proxied downloads', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ storage: 'fs', s3Bucket: null, s3Prefix: '', downloads: 'proxy', s3PresignSeconds: 300 });
  });

  it('reads an S3 store from the environment, with the prefix normalised', () => {
    const config = loadConfig({ WHARF_STORAGE: 's3', WHARF_S3_BUCKET: 'crates', WHARF_S3_PREFIX: '/reg/prod', WHARF_S3_FORCE_PATH_STYLE: 'true', WHARF_DOWNLOADS: 'redirect' });
    expect(config).toMatchObject({ storage: 's3', s3Bucket: 'crates', s3Prefix: 'reg/prod/', s3ForcePathStyle: true, downloads: 'redirect' });
  });

  it.each([
    [{ WHARF_STORAGE: 's3' }, /s3_bucket: must be set when storage = "s3"/],
    [{ WHARF_DOWNLOADS: 'redirect' }, /downloads: "redirect" .* needs storage = "s3"/],
    [{ WHARF_STORAGE: 's3', WHARF_S3_BUCKET: 'crates', WHARF_S3_ACCESS_KEY_ID: 'AKID' }, /set both, or neither/],
    [{ WHARF_S3_BUCKET: 'Not_A_Bucket' }, /WHARF_S3_BUCKET: must be a bucket name/],
    [{ WHARF_S3_PREFIX: 'a/../b' }, /WHARF_S3_PREFIX: must be a plain path/],
    [{ WHARF_STORAGE: 'nfs' }, /WHARF_STORAGE: must be one of fs, s3/],
  ])('refuses %j', (env, expected) => {
    expect(problems(env).join('\n')).toMatch(expected);
  });

  it('refuses credentials in s3_endpoint, pointing at the settings for them, without repeating them', () => {
    const found = problems({ WHARF_STORAGE: 's3', WHARF_S3_BUCKET: 'crates', WHARF_S3_ENDPOINT: 'https://AKID:very-secret-value@minio.internal:9000' }).join('\n');
    expect(found).toMatch(/WHARF_S3_ENDPOINT: must not hold a user name or password .*s3_access_key_id and s3_secret_access_key/);
    expect(found).not.toContain('very-secret-value');
    expect(problems({ WHARF_S3_ENDPOINT: 'http://someone@minio.internal' }).join('\n')).toMatch(/must not hold a user name/);
    expect(loadConfig({ WHARF_S3_ENDPOINT: 'http://127.0.0.1:9000' }, {}).s3Endpoint).toBe('http://127.0.0.1:9000');
  });

  it('never repeats the secret in a refusal', () => {
    const found = problems({ WHARF_STORAGE: 's3', WHARF_S3_SECRET_ACCESS_KEY: 'very-secret-value' });
    expect(found.join('\n')).not.toContain('very-secret-value');
  });
});
