import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { quietNodeVersionWarning } from '../../src/storage/s3-blob-store.js';
import { type S3Server, S3_CREDENTIALS, s3Env, startS3Server } from '../helpers/s3-server.js';
import { seedRegistry } from '../helpers/seed-registry.js';
import { complaints, wharf } from '../helpers/wharf-process.js';

describe('wharf static rebuild, and wharf check on the static copy (the binary)', () => {
  let dataDir: string;
  let staticDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-static-cli-'));
    staticDir = join(dataDir, 'public-index');
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'silent', WHARF_PUBLIC_URL: 'https://crates.example.com' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    // Published straight on the database, as if by a Wharf that had no static copy configured yet.
    await seedRegistry(env, 'alice', [
      { name: 'Two_Part', vers: '1.0.0' },
      { name: 'Two_Part', vers: '1.1.0' },
      { name: 'abc', vers: '0.1.0' },
    ]);
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says what to set when no static copy is configured', async () => {
    const r = await wharf(['static', 'rebuild'], env);
    expect(r.code).not.toBe(0);
    expect(complaints(r.stderr)).toContain('set static_index_dir or static_index_bucket (WHARF_STATIC_INDEX_DIR, WHARF_STATIC_INDEX_BUCKET)');
  });

  it('reports a static copy that is behind, rebuilds it, then finds nothing, then finds a tampered file', async () => {
    const withStatic = { ...env, WHARF_STATIC_INDEX_DIR: staticDir };
    mkdirSync(join(staticDir, 'go/ne'), { recursive: true });
    writeFileSync(join(staticDir, 'go/ne/gone'), '{"name":"gone"}\n');

    const behind = await wharf(['check'], withStatic);
    expect(behind.code).toBe(1);
    expect(behind.stdout).toContain('static index: config.json is missing');
    expect(behind.stdout).toContain('tw/o_/two_part (Two_Part) is missing');
    expect(behind.stdout).toContain('go/ne/gone is not the index file of any crate');
    expect(behind.stdout).toContain('wharf static rebuild');

    const rebuilt = await wharf(['static', 'rebuild'], withStatic);
    expect(complaints(rebuilt.stderr)).toBe('');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain('removed: go/ne/gone');
    expect(rebuilt.stdout).toContain(`wrote the index files of 2 crates and config.json to ${staticDir}`);
    expect(existsSync(join(staticDir, 'go/ne/gone'))).toBe(false);
    const body = readFileSync(join(staticDir, 'tw/o_/two_part'));
    expect(body.toString().trim().split('\n')).toHaveLength(2);
    expect(gunzipSync(readFileSync(join(staticDir, 'tw/o_/two_part.gz'))).equals(body)).toBe(true);
    expect(JSON.parse(readFileSync(join(staticDir, 'config.json'), 'utf8'))).toEqual({
      dl: 'https://crates.example.com/api/v1/crates',
      api: 'https://crates.example.com',
      'auth-required': false,
    });
    expect((await wharf(['check'], withStatic)).code).toBe(0);

    writeFileSync(join(staticDir, '3/a/abc'), readFileSync(join(staticDir, '3/a/abc'), 'utf8').replace('"yanked":false', '"yanked":true'));
    const tampered = await wharf(['check', '--json'], withStatic);
    expect(tampered.code).toBe(1);
    const report = JSON.parse(tampered.stdout) as { problems: Array<{ kind: string; key: string }> };
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'static', key: '3/a/abc' })]);
  }, 120_000);
});

describe('wharf static rebuild and wharf check with the static copy in a bucket (static_index_bucket, the binary)', () => {
  let dataDir: string;
  let s3: S3Server;
  let bucket: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    s3 = await startS3Server();
    bucket = await s3.createBucket();
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-static-bucket-cli-'));
    const service = Object.fromEntries(Object.entries(s3Env(s3.endpoint, bucket)).filter(([k]) => k !== 'WHARF_STORAGE' && k !== 'WHARF_S3_BUCKET'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'silent', WHARF_PUBLIC_URL: 'https://crates.example.com', WHARF_STORAGE: 'fs', ...service };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    await seedRegistry(env, 'alice', [
      { name: 'Two_Part', vers: '1.0.0' },
      { name: 'abc', vers: '0.1.0' },
    ]);
    env = { ...env, WHARF_STATIC_INDEX_BUCKET: `${bucket}/index`, WHARF_STATIC_DL_BASE_URL: 'https://cdn.example.com/crates' };
  }, 60_000);
  afterAll(async () => {
    await s3?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports an empty bucket, fills it, then finds nothing, then finds a tampered object', async () => {
    const behind = await wharf(['check'], env);
    expect(behind.code).toBe(1);
    expect(behind.stdout).toContain('static index: config.json is missing');
    expect(behind.stdout).toContain('tw/o_/two_part (Two_Part) is missing');

    const rebuilt = await wharf(['static', 'rebuild'], env);
    expect(complaints(rebuilt.stderr)).toBe('');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain(`wrote the index files of 2 crates and config.json to bucket "${bucket}" under "index/" at ${s3.endpoint}`);
    const writes = s3.requests().filter((r) => r.startsWith(`PUT /${bucket}/index/`));
    // config.json, two index files with their .gz, and the two .crate files: one PUT each.
    expect(writes).toHaveLength(7);
    expect(writes).toContain(`PUT /${bucket}/index/tw/o_/two_part.gz 200`);

    const clean = await wharf(['check'], env);
    expect(complaints(clean.stderr)).toBe('');
    expect(clean.code).toBe(0);

    quietNodeVersionWarning();
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS });
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'index/3/a/abc', Body: '{"name":"abc","vers":"6.6.6"}\n' }));
    } finally {
      client.destroy();
    }
    const tampered = await wharf(['check', '--json'], env);
    expect(tampered.code).toBe(1);
    const report = JSON.parse(tampered.stdout) as { problems: Array<{ kind: string; key: string }> };
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'static', key: '3/a/abc' })]);
    expect((await wharf(['static', 'rebuild'], env)).code).toBe(0);
    expect((await wharf(['check'], env)).code).toBe(0);
  }, 120_000);

  it('says which bucket it could not reach', async () => {
    const r = await wharf(['static', 'rebuild'], { ...env, WHARF_STATIC_INDEX_BUCKET: 'no-such-bucket' });
    expect(r.code).not.toBe(0);
    expect(complaints(r.stderr)).toContain('bucket "no-such-bucket"');
  });
});
