import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Who uses a data folder. Every `wharf serve` keeps a file `locks/serve-<host>-<pid>.json` there
 * while it runs (several servers may share one folder); a restore holds `locks/restore.json`, which
 * only one process can create. Each side writes its own file first and then looks for the
 * other's, so of a server starting and a restore starting at the same moment at least one sees the
 * other and stops.
 *
 * A crash leaves its file behind: a file whose process no longer exists on this machine is stale
 * and is removed when found. A file written on another machine (a shared folder) cannot be
 * checked from here, so it counts as live and the refusal names it for the operator to remove.
 */
const LOCK_DIR = 'locks';
const RESTORE_FILE = 'restore.json';

interface LockRecord {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface DataLock {
  readonly path: string;
  release(): void;
}

function lockDir(dataDir: string): string {
  const dir = join(dataDir, LOCK_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function record(command: string): string {
  const rec: LockRecord = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  return `${JSON.stringify(rec)}\n`;
}

function release(path: string): () => void {
  let held = true;
  const drop = () => {
    if (!held) return;
    held = false;
    rmSync(path, { force: true });
    process.off('exit', drop);
  };
  process.on('exit', drop);
  return drop;
}

/** A process that is gone (or a record that cannot be read) no longer holds its lock. */
function liveHolder(path: string): LockRecord | null {
  let rec: LockRecord;
  try {
    rec = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Half-written by a process that died while writing it: nobody holds it.
    rmSync(path, { force: true });
    return null;
  }
  if (typeof rec !== 'object' || rec === null || !Number.isInteger(rec.pid) || rec.pid <= 0) {
    rmSync(path, { force: true });
    return null;
  }
  if (rec.host !== hostname()) return rec;
  // Our own id in a file we did not write: a process of a previous boot or container had it.
  if (rec.pid === process.pid) {
    rmSync(path, { force: true });
    return null;
  }
  try {
    process.kill(rec.pid, 0);
    return rec;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return rec;
    rmSync(path, { force: true });
    return null;
  }
}

function describeHolder(rec: LockRecord, path: string): string {
  const where = rec.host === hostname() ? `pid ${rec.pid}` : `pid ${rec.pid} on ${rec.host}, which cannot be checked from here (delete ${path} if it is gone)`;
  return `\`wharf ${rec.command}\` (${where}, since ${rec.since})`;
}

/** Taken by `wharf serve` for as long as it runs; refused while a restore replaces the data. */
export function holdServeLock(dataDir: string): DataLock {
  const dir = lockDir(dataDir);
  const path = join(dir, `serve-${hostname()}-${process.pid}.json`);
  writeFileSync(path, record('serve'), { mode: 0o600 });
  const drop = release(path);
  const restore = liveHolder(join(dir, RESTORE_FILE));
  if (restore) {
    drop();
    throw new Error(`the data folder ${dataDir} is being restored by ${describeHolder(restore, join(dir, RESTORE_FILE))}; start the server when it has finished`);
  }
  return { path, release: drop };
}

/** Taken by a command that replaces the data; refused while any server or other restore uses it. */
export function holdRestoreLock(dataDir: string): DataLock {
  const dir = lockDir(dataDir);
  const path = join(dir, RESTORE_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, record('restore'), { mode: 0o600, flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = liveHolder(path);
      if (holder || attempt > 0) {
        throw new Error(`the data folder ${dataDir} is already being restored${holder ? ` by ${describeHolder(holder, path)}` : ''}`);
      }
    }
  }
  const drop = release(path);
  const servers = readdirSync(dir)
    .filter((name) => name.startsWith('serve-'))
    .flatMap((name) => {
      const holder = liveHolder(join(dir, name));
      return holder ? [describeHolder(holder, join(dir, name))] : [];
    });
  if (servers.length > 0) {
    drop();
    throw new Error(`refusing to replace the data of ${dataDir} while a server uses it: ${servers.join('; ')}; stop every server first`);
  }
  return { path, release: drop };
}
