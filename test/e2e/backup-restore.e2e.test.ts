import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { onS3 } from '../helpers/s3-server.js';
import { onPostgres } from '../helpers/test-db.js';
import { complaints, tempDirs, WharfServer, wharf } from '../helpers/wharf-process.js';

/**
 * `wharf backup` while the registry serves and takes publishes, `wharf restore` into a fresh data
 * directory (and database), then the real cargo builds against the restored registry.
 */
describe(`backup and restore (${onPostgres ? 'PostgreSQL with pg_dump' : 'SQLite online backup'}, files ${onS3 ? 'in a bucket' : 'in the data folder'})`, () => {
  const temp = tempDirs();
  const tempDir = temp.make;
  const servers: WharfServer[] = [];
  let source: { env: Record<string, string>; url: string };
  let token: string;

  async function serve(dataDir: string): Promise<{ env: Record<string, string>; url: string }> {
    const port = await freePort();
    const env = { WHARF_DATA_DIR: dataDir, WHARF_PORT: String(port), WHARF_LOG_LEVEL: 'warn' };
    const server = new WharfServer(env);
    await server.start(`http://127.0.0.1:${port}`);
    servers.push(server);
    return { env, url: `http://127.0.0.1:${port}` };
  }

  beforeAll(async () => {
    const dataDir = tempDir('backup-src');
    const env = { WHARF_DATA_DIR: dataDir };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    expect((await wharf(['user', 'add', 'keeper'], env)).code).toBe(0);
    token = (await wharf(['token', 'create', 'keeper', '--name', 'bk'], env)).stdout.trimEnd().split('\n').at(-1)!;
    source = await serve(dataDir);
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    temp.removeAll();
  });

  it('round-trips a registry that cargo then builds against', async () => {
    const cargo = new CargoSandbox(`sparse+${source.url}/index/`);
    const lib = cargo.writeCrate('kept-lib', { 'Cargo.toml': manifest('kept-lib', '1.0.0'), 'src/lib.rs': 'pub fn kept() -> u32 { 42 }\n' });
    expect((await cargo.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: lib, token })).code).toBe(0);

    // Publishes keep landing while the backup runs.
    let stop = false;
    let landed = 0;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await fetch(`${source.url}/api/v1/crates/new`, { method: 'PUT', body: new Uint8Array(await publishBody({ name: 'busy-crate', vers: `0.${i}.0` })), headers: { authorization: token } });
        expect(res.status).toBe(200);
        landed += 1;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const backupDir = join(tempDir('backup'), 'snapshot');
    const backup = await wharf(['backup', backupDir], source.env);
    stop = true;
    await writer;
    expect(complaints(backup.stderr)).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/backed up 2 crates, \d+ versions and \d+ files/);
    const saved = JSON.parse(readFileSync(join(backupDir, 'wharf-backup.json'), 'utf8')) as { versions: number; files: unknown[] };
    expect(saved.versions).toBe(saved.files.length);
    expect(landed).toBeGreaterThan(0);

    // A backup folder is never overwritten.
    expect((await wharf(['backup', backupDir], source.env)).stderr).toContain('is not empty');

    const restoredDir = tempDir('restored');
    const target = { WHARF_DATA_DIR: restoredDir };
    const restore = await wharf(['restore', backupDir], target);
    expect(complaints(restore.stderr)).toBe('');
    expect(restore.code).toBe(0);
    const again = await wharf(['restore', backupDir], target);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('not empty');
    expect(again.stderr).toContain('--force');

    const check = await wharf(['check'], target);
    expect(check.stdout).toContain(`${saved.versions} versions`);
    expect(check.stdout).toContain(' 0 inconsistencies');
    expect(check.code).toBe(0);

    const restored = await serve(restoredDir);
    const consumerCargo = new CargoSandbox(`sparse+${restored.url}/index/`);
    const app = consumerCargo.writeCrate('consumer', {
      'Cargo.toml': manifest('kept-consumer', '0.1.0', '[dependencies]\nkept-lib = { version = "1", registry = "wharf" }\n'),
      'src/main.rs': 'fn main() { assert_eq!(kept_lib::kept(), 42); }\n',
    });
    const run = await consumerCargo.run(['run'], { cwd: app });
    expect(run.stderr).toContain('Running');
    expect(run.code).toBe(0);
    // The token of the original registry works on the restored copy: same database.
    const busy = await fetch(`${restored.url}/api/v1/crates/busy-crate/versions`);
    expect(((await busy.json()) as { versions: unknown[] }).versions).toHaveLength(saved.versions - 1);
    const me = await fetch(`${restored.url}/api/v1/me/audit`, { headers: { authorization: token } });
    expect(me.status).toBe(200);

    for (const s of servers.splice(1)) await s.stop();
    if (onS3) {
      // Files in a bucket: the lock cannot see instances elsewhere, so only an empty registry is replaced.
      const refused = await wharf(['restore', backupDir, '--force'], target);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('cannot see instances on other machines that share the database and the bucket');
      return;
    }
    // --force replaces a registry, moving its files aside.
    const forced = await wharf(['restore', backupDir, '--force'], target);
    expect(complaints(forced.stderr)).toBe('');
    expect(forced.stdout).toMatch(/is kept in (\S+)\n[\s\S]*once you no longer need it, delete it: rm -r '/);
  }, 240_000);
});
