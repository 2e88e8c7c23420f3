import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { freePort } from '../helpers/live-server.js';
import { type S3Server, s3Env, startS3Server } from '../helpers/s3-server.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-db.js';
import { complaints, tempDirs, WharfServer, wharf } from '../helpers/wharf-process.js';

/**
 * Two `wharf serve` processes as on two machines: each with a data folder of its own, one
 * PostgreSQL database and one bucket (s3rver) between them, downloads redirected to the bucket.
 * The real cargo publishes through one and builds through the other. On the SQLite run there is
 * no database two folders can share (the SQLite file lives in one folder), so it is skipped.
 */
describe.skipIf(!onPostgres)('two instances with separate folders, one PostgreSQL database and one bucket (PostgreSQL run only: SQLite lives in one folder)', () => {
  const temp = tempDirs();
  const servers: WharfServer[] = [];
  const urls: string[] = [];
  const folders: string[] = [];
  let s3: S3Server;
  let database: TestDatabase;
  let shared: Record<string, string>;
  let token: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    database = await createTestDatabase();
    shared = {
      WHARF_DATABASE_URL: database.url,
      WHARF_AUTO_MIGRATE: 'false',
      ...s3Env(s3.endpoint, await s3.createBucket()),
      WHARF_DOWNLOADS: 'redirect',
      WHARF_DOWNLOAD_FLUSH_MS: '100',
      WHARF_CHANGE_POLL_MS: '100',
      WHARF_LOG_LEVEL: 'warn',
    };
    for (const label of ['machine-a', 'machine-b']) folders.push(temp.make(label));
    const first = { ...shared, WHARF_DATA_DIR: folders[0]! };
    expect((await wharf(['migrate'], first)).code).toBe(0);
    expect((await wharf(['user', 'add', 'ops'], first)).code).toBe(0);
    token = (await wharf(['token', 'create', 'ops', '--name', 'two-machines'], first)).stdout.trimEnd().split('\n').at(-1)!;
    for (const folder of folders) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const server = new WharfServer({ ...shared, WHARF_DATA_DIR: folder, WHARF_PORT: String(port) });
      await server.start(url);
      servers.push(server);
      urls.push(url);
    }
  }, 90_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await s3?.close();
    await database?.drop();
    temp.removeAll();
  });

  it('publishes through A with cargo, and cargo builds through B from the bucket', async () => {
    const [a, b] = urls as [string, string];
    const viaA = new CargoSandbox(`sparse+${a}/index/`);
    const lib = viaA.writeCrate('far-lib', { 'Cargo.toml': manifest('far-lib', '1.0.0'), 'src/lib.rs': 'pub fn far() -> u32 { 7 }\n' });
    const published = await viaA.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: lib, token });
    expect(published.code, published.stderr).toBe(0);

    // B answers downloads with a redirect to the file A stored in the bucket.
    const res = await fetch(`${b}/api/v1/crates/far-lib/1.0.0/download`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(new RegExp(`^${s3.endpoint}/`));

    const viaB = new CargoSandbox(`sparse+${b}/index/`);
    const app = viaB.writeCrate('far-consumer', {
      'Cargo.toml': manifest('far-consumer', '0.1.0', '[dependencies]\nfar-lib = { version = "1", registry = "wharf" }\n'),
      'src/main.rs': 'fn main() { assert_eq!(far_lib::far(), 7); }\n',
    });
    const run = await viaB.run(['run'], { cwd: app });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(app, 'Cargo.lock'), 'utf8')).toContain('name = "far-lib"\nversion = "1.0.0"');

    // Both redirects (the probe and cargo's) were counted by B, into the one database.
    const downloads = async () =>
      ((await (await fetch(`${a}/api/v1/crates/far-lib`)).json()) as { versions: Array<{ num: string; downloads: number }> }).versions[0]?.downloads ?? 0;
    for (let i = 0; i < 100 && (await downloads()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await downloads()).toBe(2);
  }, 240_000);

  it('keeps nothing either instance needs in its own folder: no crate file, and the other folder is not read', async () => {
    for (const folder of folders) {
      expect(existsSync(join(folder, 'crates'))).toBe(false);
      // Only the lock files of the running server are local.
      expect(readdirSync(folder).sort()).toEqual(['locks']);
    }
  });

  it('passes `wharf check` from either machine', async () => {
    for (const folder of folders) {
      const check = await wharf(['check'], { ...shared, WHARF_DATA_DIR: folder });
      expect(complaints(check.stderr)).toBe('');
      expect(check.stdout).toContain('checked 1 crates, 1 versions and 1 files: 0 inconsistencies');
      expect(check.code).toBe(0);
    }
  });
});
