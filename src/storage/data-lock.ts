import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Who uses a data folder. Every `wharf serve` keeps a file `locks/serve-<host>-<pid>.json` there
 * while it runs (several servers may share one folder); a restore holds `locks/restore.json`, which
 * only one process can create. Each side writes its own file first and then looks for the
 * other's, so of a server starting and a restore starting at the same moment at least one sees the
 * other and stops.
 *
 * A holder proves it is alive by refreshing its file's modification time every few seconds (a
 * heartbeat), and a file not refreshed for `staleAfterMs` is stale and removed when found. Process
 * ids decide nothing: a container, or a second machine sharing the folder, can run a live process
 * under the very id (and host name) of the one looking, so only the heartbeat is trusted.
 */
const LOCK_DIR = 'locks';
const RESTORE_FILE = 'restore.json';

export interface LockTiming {
  /** How often a holder refreshes its file. */
  heartbeatMs: number;
  /** A file older than this has no live holder (several missed heartbeats). */
  staleAfterMs: number;
}

export const DEFAULT_LOCK_TIMING: LockTiming = { heartbeatMs: 5_000, staleAfterMs: 30_000 };

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

/** Keeps the file fresh until released (or the process exits); the timer never holds the process open. */
function hold(path: string, timing: LockTiming): () => void {
  let held = true;
  const beat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // Removed by an operator: the next look by anyone finds no holder, as they asked.
    }
  }, timing.heartbeatMs);
  beat.unref();
  const drop = () => {
    if (!held) return;
    held = false;
    clearInterval(beat);
    rmSync(path, { force: true });
    process.off('exit', drop);
  };
  process.on('exit', drop);
  return drop;
}

/** The record of a live holder, or null (and the file removed) when its heartbeat stopped or it cannot be read. */
function liveHolder(path: string, timing: LockTiming): (LockRecord & { ageMs: number }) | null {
  let rec: LockRecord;
  let modified: number;
  try {
    modified = statSync(path).mtimeMs;
    rec = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Half-written by a process that died while writing it: nobody holds it.
    rmSync(path, { force: true });
    return null;
  }
  const ageMs = Math.max(0, Date.now() - modified);
  if (typeof rec !== 'object' || rec === null || !Number.isInteger(rec.pid) || ageMs > timing.staleAfterMs) {
    rmSync(path, { force: true });
    return null;
  }
  return { ...rec, ageMs };
}

function describeHolder(rec: LockRecord & { ageMs: number }, timing: LockTiming): string {
  const beat = `its lock was refreshed ${Math.round(rec.ageMs / 1000)} s ago; a stopped process's lock expires ${timing.staleAfterMs / 1000} s after its last refresh`;
  return `\`wharf ${rec.command}\` (pid ${rec.pid} on ${rec.host}, since ${rec.since}; ${beat})`;
}

/** Taken by `wharf serve` for as long as it runs; refused while a restore replaces the data. */
export function holdServeLock(dataDir: string, timing: LockTiming = DEFAULT_LOCK_TIMING): DataLock {
  const dir = lockDir(dataDir);
  const path = join(dir, `serve-${hostname()}-${process.pid}.json`);
  writeFileSync(path, record('serve'), { mode: 0o600 });
  const drop = hold(path, timing);
  const restore = liveHolder(join(dir, RESTORE_FILE), timing);
  if (restore) {
    drop();
    throw new Error(`the data folder ${dataDir} is being restored by ${describeHolder(restore, timing)}; start the server when it has finished`);
  }
  return { path, release: drop };
}

/** Taken by a command that replaces the data; refused while any server or other restore uses it. */
export function holdRestoreLock(dataDir: string, timing: LockTiming = DEFAULT_LOCK_TIMING): DataLock {
  const dir = lockDir(dataDir);
  const path = join(dir, RESTORE_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, record('restore'), { mode: 0o600, flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = liveHolder(path, timing);
      if (holder || attempt > 0) {
        throw new Error(`the data folder ${dataDir} is already being restored${holder ? ` by ${describeHolder(holder, timing)}` : ''}`);
      }
    }
  }
  const drop = hold(path, timing);
  const servers = readdirSync(dir)
    .filter((name) => name.startsWith('serve-'))
    .flatMap((name) => {
      const holder = liveHolder(join(dir, name), timing);
      return holder ? [describeHolder(holder, timing)] : [];
    });
  if (servers.length > 0) {
    drop();
    throw new Error(`refusing to replace the data of ${dataDir} while a server uses it: ${servers.join('; ')}; stop every server first`);
  }
  return { path, release: drop };
}

/** For commands that write to a registry: refused while a restore replaces its data. */
export function refuseWhileRestoring(dataDir: string, timing: LockTiming = DEFAULT_LOCK_TIMING): void {
  const path = join(dataDir, LOCK_DIR, RESTORE_FILE);
  const restore = liveHolder(path, timing);
  if (restore) throw new Error(`the data folder ${dataDir} is being restored by ${describeHolder(restore, timing)}; run this when it has finished`);
}
