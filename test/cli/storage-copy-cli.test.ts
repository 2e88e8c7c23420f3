import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { type S3Server, s3Env, startS3Server } from '../helpers/s3-server.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { wharf } from '../helpers/wharf-process.js';

/** `wharf storage copy --to s3`, from a registry on the folder store to a bucket. */
describe('wharf storage copy --to s3 (the binary)', () => {
  let s3: S3Server;
  let t: TestApp;
  let folderEnv: Record<string, string>;
  let bucketEnv: Record<string, string>;
  let bucket: string;
  const SECRET = 'copy-test-secret-4711';

  beforeAll(async () => {
    s3 = await startS3Server();
    bucket = await s3.createBucket();
    // The registry keeps running on its folder while the copy runs.
    t = await createTestApp({ storage: 'fs' });
    const { token } = await t.userWithToken('alice');
    await t.publish(token, { name: 'alpha', vers: '1.0.0' });
    await t.publish(token, { name: 'alpha', vers: '1.1.0' });
    await t.publish(token, { name: 'beta', vers: '0.1.0' });
    folderEnv = {
      WHARF_DATA_DIR: t.dataDir,
      WHARF_STORAGE: 'fs',
      WHARF_LOG_LEVEL: 'warn',
      ...(t.config.databaseUrl ? { WHARF_DATABASE_URL: t.config.databaseUrl } : {}),
    };
    const { WHARF_STORAGE: _, ...bucketSettings } = s3Env(s3.endpoint, bucket);
    bucketEnv = { ...folderEnv, ...bucketSettings, WHARF_S3_SECRET_ACCESS_KEY: SECRET };
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
  });

  it('refuses with a clear message when no bucket is configured', async () => {
    const res = await wharf(['storage', 'copy', '--to', 's3'], folderEnv);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no bucket to copy to: set s3_bucket (WHARF_S3_BUCKET)');
    expect((await wharf(['storage', 'copy', '--to', 'gcs'], bucketEnv)).stderr).toContain('--to must be s3');
  });

  it('copies every file, verifies each against its checksum, prints the settings to switch to, and resumes', async () => {
    const first = await wharf(['storage', 'copy', '--to', 's3'], bucketEnv);
    expect(first.stderr.replace(/^wharf: using .*\n/, '')).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/3 files in .*: copied 3 \(.*\), 0 already in the bucket "wharf-[0-9a-f]+" at http:\/\/127\.0\.0\.1:\d+; read back and verified 3 files/);
    expect(first.stdout).toContain('  storage = "s3"');
    expect(first.stdout).toContain(`  s3_bucket = "${bucket}"`);
    expect(first.stdout).toContain('  s3_force_path_style = true');
    expect(first.stdout).not.toContain(SECRET);

    // Published while the servers still run on the folder: the rerun copies only that one.
    const { token } = await t.userWithToken('bob');
    await t.publish(token, { name: 'gamma', vers: '2.0.0' });
    const again = await wharf(['storage', 'copy', '--to', 's3'], bucketEnv);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/4 files in .*: copied 1 \(.*\), 3 already in the bucket .*verified 4 files/);

    // The switched registry agrees with its database.
    const checked = await wharf(['check'], { ...bucketEnv, WHARF_STORAGE: 's3' });
    expect(checked.stdout).toContain('checked 3 crates, 4 versions and 4 files: 0 inconsistencies');
    expect(checked.code).toBe(0);
  });

  it('wharf serve refuses to start on a bucket that does not exist, naming it', async () => {
    const res = await wharf(['serve'], { ...bucketEnv, WHARF_STORAGE: 's3', WHARF_S3_BUCKET: 'not-created-yet', WHARF_PORT: '0' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/wharf: the object store \(bucket "not-created-yet" at http:\/\/127\.0\.0\.1:\d+\) failed to open the bucket: the bucket does not exist/);
  });

  it('reads every file back: a damaged copy of the right size fails the verification', async () => {
    const store = new S3BlobStore({ bucket, prefix: '', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, presignSeconds: 60, conditionalWrites: false });
    const key = [];
    for await (const info of store.list('crates/beta/')) key.push(info);
    expect(key).toHaveLength(1);
    await store.put(key[0]!.key, Buffer.alloc(key[0]!.size, 7));
    const res = await wharf(['storage', 'copy', '--to', 's3'], bucketEnv);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/problem: beta@0\.1\.0: its file crates\/beta\/beta-0\.1\.0-[0-9a-f]{16}\.crate in the target has sha256 [0-9a-f]{64}, the database recorded/);
    expect(res.stdout).not.toContain('Switch every instance');
    store.close();
  });
});
