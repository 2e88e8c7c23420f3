import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageFailure } from '../../../src/core/storage-failure.js';
import type { BlobInfo, BlobStore } from '../../../src/storage/blob-store.js';
import { publishBody } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/** A blob store whose writes fail like a full disk or a read-only mount; reads still work. */
class FailingBlobStore implements BlobStore {
  failWith: string | null = null;
  constructor(private readonly inner: BlobStore) {}
  async put(key: string, data: Buffer): Promise<void> {
    if (this.failWith) throw Object.assign(new Error(`${this.failWith}: simulated, write '${key}'`), { code: this.failWith });
    return this.inner.put(key, data);
  }
  get(key: string): Promise<{ stream: Readable; size: number } | null> {
    return this.inner.get(key);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }
  list(prefix: string): AsyncIterable<BlobInfo> {
    return this.inner.list(prefix);
  }
  stat(key: string): Promise<BlobInfo | null> {
    return this.inner.stat(key);
  }
}

const detail = (res: { json(): unknown }) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';
const files = (dir: string) => {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch {
    return [];
  }
};

describe('a publish when the disk is full or read-only', () => {
  let t: TestApp;
  let token: string;
  let blobs: FailingBlobStore;

  beforeAll(async () => {
    t = await createTestApp({ logLevel: 'silent' });
    token = (await t.userWithToken('alice')).token;
    blobs = new FailingBlobStore(t.runtime.ctx.blobs);
    // Services read ctx.blobs at call time: swapping it puts the failing store under the whole app.
    (t.runtime.ctx as { blobs: BlobStore }).blobs = blobs;
    const first = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'stored', vers: '1.0.0' }), headers: { authorization: token } });
    expect(first.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  const versions = async () => (await t.runtime.ctx.db.selectFrom('versions').select('num').execute()).length;

  const cases: Array<[string, RegExp]> = [
    ['ENOSPC', /cannot store files right now: the disk is full \(ENOSPC\); nothing was changed/],
    ['EROFS', /cannot store files right now: the data directory is on a read-only file system \(EROFS\)/],
    ['EACCES', /cannot store files right now: the data directory is not writable \(EACCES\)/],
  ];
  it.each(cases.map(([code, pattern], i) => [code, pattern, i] as const))('%s: 507 with a clear detail, nothing stored, reads keep working', async (code, pattern, i) => {
    const before = { versions: await versions(), files: files(join(t.dataDir, 'crates')) };
    blobs.failWith = code;
    try {
      const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'stored', vers: `2.0.${i}` }), headers: { authorization: token } });
      expect(res.statusCode).toBe(507);
      expect(detail(res)).toMatch(pattern);
      expect({ versions: await versions(), files: files(join(t.dataDir, 'crates')) }).toEqual(before);
      expect((await t.app.inject('/index/st/or/stored')).statusCode).toBe(200);
      expect((await t.app.inject('/api/v1/crates/stored/1.0.0/download')).statusCode).toBe(200);
      expect((await t.app.inject('/api/v1/crates/stored')).statusCode).toBe(200);
    } finally {
      blobs.failWith = null;
    }
    // Once the disk has room again, the same upload goes through.
    const retry = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'stored', vers: `2.0.${i}` }), headers: { authorization: token } });
    expect(retry.statusCode).toBe(200);
  });

  it('maps database conditions too: a full or read-only database is 507, a busy one 503 with Retry-After', () => {
    expect(storageFailure({ code: 'SQLITE_FULL' })?.status).toBe(507);
    expect(storageFailure({ code: 'SQLITE_READONLY_DBMOVED' })?.status).toBe(507);
    expect(storageFailure({ code: '53100' })?.detail).toContain('the database disk is full');
    const busy = storageFailure({ code: 'SQLITE_BUSY' });
    expect([busy?.status, busy?.headers['retry-after']]).toEqual([503, '2']);
    expect(storageFailure(new Error('no code'))).toBeNull();
    expect(storageFailure({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBeNull();
  });
});

/** The real thing where the machine allows it (root with the right to mount): a trial mount decides. */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'wharf-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

describe.runIf(canMount())('a publish onto a really full file system (tmpfs)', () => {
  let t: TestApp;
  let token: string;
  let mounted = false;
  let crates: string;

  beforeAll(async () => {
    t = await createTestApp({ logLevel: 'silent' });
    token = (await t.userWithToken('alice')).token;
    const first = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'before', vers: '1.0.0' }), headers: { authorization: token } });
    expect(first.statusCode).toBe(200);
    crates = join(t.dataDir, 'crates');
    const saved = join(t.dataDir, 'saved');
    execFileSync('cp', ['-a', crates, saved]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', crates], { stdio: 'pipe' });
    mounted = true;
    execFileSync('cp', ['-a', `${saved}/.`, crates]);
    mkdirSync(join(crates, 'filler'), { recursive: true });
    // Fill the file system to the last block.
    try {
      writeFileSync(join(crates, 'filler', 'zeros'), Buffer.alloc(512 * 1024));
    } catch {
      // ENOSPC: full, as wanted
    }
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [crates]);
    await t.close();
  });

  it('answers 507, leaves no partial file, and keeps serving what it has', async () => {
    const before = files(crates);
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'after', vers: '1.0.0', files: { 'data.bin': 'x'.repeat(64 * 1024) } }), headers: { authorization: token } });
    expect(res.statusCode).toBe(507);
    expect(detail(res)).toContain('the disk is full (ENOSPC)');
    expect(files(crates)).toEqual(before);
    expect(await t.runtime.ctx.db.selectFrom('versions').select('num').execute()).toHaveLength(1);
    expect((await t.app.inject('/api/v1/crates/before/1.0.0/download')).statusCode).toBe(200);
    expect((await t.app.inject('/index/be/fo/before')).statusCode).toBe(200);
  });
});
