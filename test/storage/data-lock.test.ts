import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holdRestoreLock, holdServeLock } from '../../src/storage/data-lock.js';

/** The lock files of a data folder: servers share it, a restore excludes them and other restores. */
describe('the data lock', () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-lock-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const dataDir = () => join(root, `data-${n++}`);
  const plant = (dir: string, file: string, record: unknown) => {
    mkdirSync(join(dir, 'locks'), { recursive: true });
    writeFileSync(join(dir, 'locks', file), typeof record === 'string' ? record : JSON.stringify(record));
  };
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

  it('lets servers share the folder and releases their files', () => {
    const dir = dataDir();
    const lock = holdServeLock(dir);
    expect(readdirSync(join(dir, 'locks'))).toEqual([`serve-${hostname()}-${process.pid}.json`]);
    lock.release();
    expect(readdirSync(join(dir, 'locks'))).toEqual([]);
  });

  it('releases a restore\'s file when it is done', () => {
    const dir = dataDir();
    const restore = holdRestoreLock(dir);
    expect(existsSync(restore.path)).toBe(true);
    restore.release();
    expect(existsSync(restore.path)).toBe(false);
  });

  it('ignores the files of processes that are gone, garbage, and its own process id', () => {
    for (const record of [
      { pid: deadPid(), host: hostname(), command: 'serve', since: 'then' },
      { pid: process.pid, host: hostname(), command: 'serve', since: 'a previous boot' },
      '{"pid": 12',
      { pid: 0, host: hostname(), command: 'serve', since: 'then' },
    ]) {
      const dir = dataDir();
      plant(dir, 'serve-old.json', record);
      plant(dir, 'restore.json', { ...(typeof record === 'string' ? {} : record), command: 'restore' });
      const lock = holdRestoreLock(dir);
      expect(readdirSync(join(dir, 'locks'))).toEqual(['restore.json']);
      lock.release();
    }
  });

  it('counts a live server, or one on another machine, naming it', () => {
    const live = dataDir();
    const parent = process.ppid;
    plant(live, 'serve-x.json', { pid: parent, host: hostname(), command: 'serve', since: 'now' });
    expect(() => holdRestoreLock(live)).toThrow(`refusing to replace the data of ${live} while a server uses it: \`wharf serve\` (pid ${parent}, since now)`);
    expect(readdirSync(join(live, 'locks'))).toEqual(['serve-x.json']);

    const remote = dataDir();
    plant(remote, 'serve-y.json', { pid: deadPid(), host: 'elsewhere.example', command: 'serve', since: 'now' });
    expect(() => holdRestoreLock(remote)).toThrow(`on elsewhere.example, which cannot be checked from here (delete ${join(remote, 'locks', 'serve-y.json')} if it is gone)`);

    const restoring = dataDir();
    plant(restoring, 'restore.json', { pid: parent, host: hostname(), command: 'restore', since: 'now' });
    expect(() => holdRestoreLock(restoring)).toThrow(`the data folder ${restoring} is already being restored by \`wharf restore\` (pid ${parent}`);
    expect(() => holdServeLock(restoring)).toThrow(`the data folder ${restoring} is being restored by \`wharf restore\` (pid ${parent}`);
    expect(readdirSync(join(restoring, 'locks'))).toEqual(['restore.json']);
  });
});
