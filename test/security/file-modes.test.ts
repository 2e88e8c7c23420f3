import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { createTestApp } from '../helpers/test-app.js';
import { onPostgres } from '../helpers/test-db.js';
import { tempDirs, WharfServer, wharf } from '../helpers/wharf-process.js';

/** Every folder under `root` (itself included) that is not 0700 and every file that is not 0600, and how many files were seen. */
function looseModes(root: string): { loose: string[]; files: string[] } {
  const loose: string[] = [];
  const files: string[] = [];
  const mode = (path: string) => statSync(path).mode & 0o777;
  if (mode(root) !== 0o700) loose.push(`${root} ${mode(root).toString(8)}`);
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const want = entry.isDirectory() ? 0o700 : 0o600;
    if (!entry.isDirectory()) files.push(entry.name);
    if (mode(path) !== want) loose.push(`${path} ${mode(path).toString(8)}`);
  }
  return { loose, files };
}

/** The database (password hashes, e-mails, token and session hashes) and a private registry's crates. */
describe('files are private to the server', () => {
  const temp = tempDirs();
  afterAll(() => temp.removeAll());

  it('the data folder is 0700 and every file in it 0600 after migrate, serve, a publish and a backup', async () => {
    // Run with a permissive umask (the test runner's 022) the binary must not rely on.
    const dataDir = join(temp.make('modes'), 'data', 'registry');
    const env = { WHARF_DATA_DIR: dataDir };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    expect(looseModes(dataDir).loose).toEqual([]);
    expect(statSync(join(dataDir, '..')).mode & 0o777).toBe(0o700);

    expect((await wharf(['user', 'add', 'owner'], env)).code).toBe(0);
    const token = (await wharf(['token', 'create', 'owner', '--name', 't'], env)).stdout.trimEnd().split('\n').at(-1)!;
    const port = await freePort();
    const server = new WharfServer({ ...env, WHARF_PORT: String(port), WHARF_LOG_LEVEL: 'warn' });
    const url = `http://127.0.0.1:${port}`;
    await server.start(url);
    try {
      const res = await fetch(`${url}/api/v1/crates/new`, { method: 'PUT', body: new Uint8Array(await publishBody({ name: 'private-crate', vers: '1.0.0' })), headers: { authorization: token } });
      expect(res.status).toBe(200);
      // While the server runs: its lock file, the WAL and shared-memory files, the crate file.
      const running = looseModes(dataDir);
      expect(running.loose).toEqual([]);
      expect(running.files.some((f) => f.startsWith('private-crate-1.0.0-') && f.endsWith('.crate'))).toBe(true);
      expect(running.files.some((f) => f.startsWith('serve-'))).toBe(true);
      if (!onPostgres) expect(running.files).toEqual(expect.arrayContaining(['wharf.sqlite', 'wharf.sqlite-wal', 'wharf.sqlite-shm']));

      const backupDir = join(temp.make('modes-backup'), 'snapshot');
      expect((await wharf(['backup', backupDir], env)).code).toBe(0);
      const backup = looseModes(backupDir);
      expect(backup.loose).toEqual([]);
      expect(backup.files).toEqual(expect.arrayContaining(['wharf-backup.json', onPostgres ? 'wharf.pgdump' : 'wharf.sqlite']));
      expect(backup.files.some((f) => f.endsWith('.crate'))).toBe(true);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(looseModes(dataDir).loose).toEqual([]);
  }, 60_000);

  it('closes off a data folder and database an older version left open', async () => {
    const dataDir = join(temp.make('modes-old'), 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    expect((await wharf(['migrate'], { WHARF_DATA_DIR: dataDir })).code).toBe(0);
    if (!onPostgres) chmodSync(join(dataDir, 'wharf.sqlite'), 0o644);
    chmodSync(dataDir, 0o755);
    expect((await wharf(['migrate'], { WHARF_DATA_DIR: dataDir })).code).toBe(0);
    expect(looseModes(dataDir).loose).toEqual([]);
  });

  it('the server sets the modes itself, not only through the umask of the `wharf` command', async () => {
    // In this process the umask is the runner's (022): only explicit modes give 0600 here.
    const t = await createTestApp();
    try {
      const { token } = await t.userWithToken('owner');
      await t.publish(token, { name: 'in-process', vers: '1.0.0' });
      const { loose, files } = looseModes(t.dataDir);
      expect(loose).toEqual([]);
      expect(files.some((f) => f.startsWith('in-process-1.0.0-') && f.endsWith('.crate'))).toBe(true);
      if (!onPostgres) expect(files).toContain('wharf.sqlite-wal');
    } finally {
      await t.close();
    }
  });
});
