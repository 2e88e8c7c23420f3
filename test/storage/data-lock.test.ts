import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_TIMING, holdRestoreLock, holdServeLock, refuseWhileRestoring } from '../../src/storage/data-lock.js';

/**
 * The lock files of a data folder: servers share it, a restore excludes them and other restores.
 * A holder is alive while its file's heartbeat is fresh, whatever its process id says.
 */
describe('the data lock', () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-lock-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const dataDir = () => join(root, `data-${n++}`);
  const stale = new Date(Date.now() - DEFAULT_LOCK_TIMING.staleAfterMs - 5_000);
  /** A lock file as another process left it; `age` moves its last heartbeat into the past. */
  const plant = (dir: string, file: string, record: unknown, at?: Date) => {
    mkdirSync(join(dir, 'locks'), { recursive: true });
    const path = join(dir, 'locks', file);
    writeFileSync(path, typeof record === 'string' ? record : JSON.stringify(record));
    if (at) utimesSync(path, at, at);
    return path;
  };
  const server = (pid: number, host = hostname()) => ({ pid, host, command: 'serve', since: 'then' });

  it('lets servers share the folder and releases their files', () => {
    const dir = dataDir();
    const lock = holdServeLock(dir);
    expect(readdirSync(join(dir, 'locks'))).toEqual([`serve-${hostname()}-${process.pid}.json`]);
    lock.release();
    expect(readdirSync(join(dir, 'locks'))).toEqual([]);
  });

  it("releases a restore's file when it is done", () => {
    const dir = dataDir();
    const restore = holdRestoreLock(dir);
    expect(existsSync(restore.path)).toBe(true);
    restore.release();
    expect(existsSync(restore.path)).toBe(false);
  });

  it('counts a fresh lock as live even under our own process id and host name (another container), naming it', () => {
    const dir = dataDir();
    plant(dir, 'serve-same.json', server(process.pid));
    expect(() => holdRestoreLock(dir)).toThrow(
      new RegExp(`refusing to replace the data of ${dir} while a server uses it: \`wharf serve\` \\(pid ${process.pid} on ${hostname()}, since then; its lock was refreshed \\d+ s ago`),
    );
    expect(readdirSync(join(dir, 'locks'))).toEqual(['serve-same.json']);
  });

  it('counts a fresh lock of another machine as live too', () => {
    const dir = dataDir();
    plant(dir, 'serve-y.json', server(4242, 'elsewhere.example'));
    expect(() => holdRestoreLock(dir)).toThrow(/pid 4242 on elsewhere\.example/);
  });

  it('removes a lock whose heartbeat stopped, and garbage, whoever wrote it', () => {
    for (const record of [server(process.pid), server(1, 'elsewhere.example'), '{"pid": 12']) {
      const dir = dataDir();
      plant(dir, 'serve-old.json', record, typeof record === 'string' ? undefined : stale);
      const lock = holdRestoreLock(dir);
      expect(readdirSync(join(dir, 'locks'))).toEqual(['restore.json']);
      lock.release();
    }
  });

  it('keeps the holder\'s file fresh while it runs', async () => {
    const dir = dataDir();
    const lock = holdServeLock(dir, { heartbeatMs: 20, staleAfterMs: 1_000 });
    const longAgo = new Date('2000-01-01T00:00:00Z');
    utimesSync(lock.path, longAgo, longAgo);
    expect(statSync(lock.path).mtimeMs).toBe(longAgo.getTime());
    // Bounded by count, not time: wait for the heartbeat to bring the file back to the present.
    for (let i = 0; i < 500 && statSync(lock.path).mtimeMs === longAgo.getTime(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(statSync(lock.path).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    lock.release();
  });

  it('a restore in progress keeps servers and every other writing command out', () => {
    const dir = dataDir();
    const restore = holdRestoreLock(dir);
    expect(() => holdRestoreLock(dir)).toThrow(`the data folder ${dir} is already being restored by \`wharf restore\` (pid ${process.pid}`);
    expect(() => holdServeLock(dir)).toThrow(`the data folder ${dir} is being restored by \`wharf restore\``);
    expect(() => refuseWhileRestoring(dir)).toThrow(/is being restored .* run this when it has finished/);
    restore.release();
    expect(() => refuseWhileRestoring(dir)).not.toThrow();
  });
});
