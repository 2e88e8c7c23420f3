import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './live-server.js';
import { createBucket, onS3, runEndpoint, s3Env } from './s3-server.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './test-db.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wharf.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const databases = new Map<string, Promise<TestDatabase>>();
const buckets = new Map<string, Promise<string>>();

/**
 * On the PostgreSQL run, a data directory stands for one fresh database too: the CLI and servers
 * started with the same WHARF_DATA_DIR share it, exactly as they share SQLite otherwise. On the
 * S3 pass it stands for a bucket of its own the same way.
 */
export async function databaseEnv(rawEnv: Record<string, string>): Promise<Record<string, string>> {
  const env = await storageEnv(rawEnv);
  const dir = env.WHARF_DATA_DIR;
  if (!onPostgres || !dir || env.WHARF_DATABASE_URL) return env;
  let db = databases.get(dir);
  if (!db) {
    db = createTestDatabase();
    databases.set(dir, db);
  }
  return { WHARF_DATABASE_URL: (await db).url, WHARF_AUTO_MIGRATE: 'true', ...env };
}

async function storageEnv(env: Record<string, string>): Promise<Record<string, string>> {
  const dir = env.WHARF_DATA_DIR;
  if (!onS3 || !dir || env.WHARF_STORAGE) return env;
  let bucket = buckets.get(dir);
  if (!bucket) {
    bucket = createBucket(runEndpoint());
    buckets.set(dir, bucket);
  }
  return { ...s3Env(runEndpoint(), await bucket), ...env };
}

/** Temporary folders (`make('label')`) that `removeAll()` deletes when the tests are done. */
export function tempDirs(): { make(label: string): string; removeAll(): void } {
  const dirs: string[] = [];
  return {
    make(label) {
      const dir = mkdtempSync(join(tmpdir(), `wharf-${label}-`));
      dirs.push(dir);
      return dir;
    },
    removeAll() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** stderr without the line every command starts with (the database and data folder it uses). */
export function complaints(stderr: string): string {
  return stderr.replace(/^wharf: using the database .* and the data folder .*\n/, '');
}

/** Runs the built `wharf` binary (dist/ is built by `npm test` before the suite). */
export async function wharf(args: string[], rawEnv: Record<string, string>, input?: string): Promise<CliResult> {
  const env = await databaseEnv(rawEnv);
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built `wharf` binary on a pseudo-terminal (util-linux `script`), typing `typed` into
 * it, as an operator at a terminal would. stdout and stderr arrive mixed, as on a screen.
 */
export async function wharfOnTerminal(args: string[], rawEnv: Record<string, string>, typed: string): Promise<{ code: number; screen: string }> {
  const env = await databaseEnv(rawEnv);
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve) => {
    const child = execFile('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, screen: String(stdout) });
    });
    child.stdin?.end(typed);
  });
}

/** A `wharf serve` process whose log output is collected. */
export class WharfServer {
  readonly output: string[] = [];
  private child: ChildProcess | null = null;

  constructor(private readonly env: Record<string, string>) {}

  async start(url: string): Promise<void> {
    const env = await databaseEnv(this.env);
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (c: Buffer) => this.output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => this.output.push(c.toString()));
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${url}/health/live`)).ok) return;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`wharf serve exited: ${this.output.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`wharf serve did not start: ${this.output.join('')}`);
  }

  /** Sends a signal and returns at once. */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** The exit code, once the process has exited. */
  exited(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** SIGTERM, and the exit code once it has shut down. */
  async stop(): Promise<number | null> {
    const child = this.child;
    // Already gone (exited, or killed by a signal): there is nothing to wait for.
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }
}

/**
 * Several instances of one registry: migrates the database of `env`, adds the user `login` with a
 * token, and starts `count` `wharf serve` processes on it, each on a port of its own.
 */
export async function startInstances(env: Record<string, string>, count: number, login: string): Promise<{ servers: WharfServer[]; urls: string[]; token: string }> {
  const must = (result: CliResult) => {
    if (result.code !== 0) throw new Error(`wharf failed: ${result.stderr}`);
    return result;
  };
  must(await wharf(['migrate'], env));
  must(await wharf(['user', 'add', login], env));
  const token = must(await wharf(['token', 'create', login, '--name', 'instances'], env)).stdout.trimEnd().split('\n').at(-1)!;
  const servers: WharfServer[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = new WharfServer({ ...env, WHARF_PORT: String(port) });
    servers.push(server);
    await server.start(url);
    urls.push(url);
  }
  return { servers, urls, token };
}
