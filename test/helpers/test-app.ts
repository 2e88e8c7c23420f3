import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { openContext, prepareDatabase } from '../../src/bootstrap.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/services/context.js';
import { createRuntime, type Runtime } from '../../src/services/runtime.js';
import { createToken, type TokenSpec } from '../../src/services/token.service.js';
import { createUser } from '../../src/services/user.service.js';
import { isWellFormedToken, isWellFormedTrustpubToken } from '../../src/core/token.js';
import type { Db } from '../../src/db/create-db.js';
import { type CrateSpec, publishBody } from './crate-builder.js';
import { createBucket, onS3, runEndpoint, s3Config } from './s3-server.js';
import { createTestDatabase, onPostgres } from './test-db.js';

const TOKEN_LIKE = /wharf_(?:tp_)?[0-9A-Za-z]{38}/g;

/** Tables of a PostgreSQL database holding anything shaped like a valid token (its files are not ours to read). */
export async function scanDatabase(db: Db): Promise<string[]> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(db);
  const found: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql`select * from ${sql.table(table_name)}`.execute(db);
    if (holdsToken(JSON.stringify(rows.rows))) found.push(`table ${table_name}`);
  }
  return found;
}

const holdsToken = (text: string) => [...text.matchAll(TOKEN_LIKE)].some((m) => isWellFormedToken(m[0]) || isWellFormedTrustpubToken(m[0]));

/** Names of the places (files under `dir`, or 'logs') holding anything shaped like a valid token. */
export function scanForTokens(dir: string, logs: readonly string[]): string[] {
  const found: string[] = [];
  const holds = holdsToken;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.crate')) continue;
    const path = join(entry.parentPath, entry.name);
    if (holds(readFileSync(path).toString('latin1'))) found.push(path);
  }
  if (holds(logs.join(''))) found.push('logs');
  return found;
}

/**
 * A clock tests can move forward, so expiry and last-used rules are tested without waiting.
 * It runs with real time plus an offset (live servers need time to pass) unless frozen.
 */
export class TestClock implements Clock {
  private offset = 0;
  constructor(private frozen: Date | null = null) {}
  now(): Date {
    return new Date((this.frozen?.getTime() ?? Date.now()) + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  /** Stops the clock at `at` (time steps of TOTP codes must not turn over in the middle of a test). */
  freeze(at: Date): void {
    this.frozen = at;
    this.offset = 0;
  }
}

export interface TestApp {
  app: FastifyInstance;
  runtime: Runtime;
  config: Config;
  clock: TestClock;
  dataDir: string;
  logs: string[];
  /** Creates a user and a token for them; returns the plaintext token. */
  userWithToken(login: string, spec?: Partial<TokenSpec> & { admin?: boolean }): Promise<{ userId: number; token: string; tokenId: number }>;
  tokenFor(userId: number, spec?: Partial<TokenSpec>): Promise<{ token: string; tokenId: number }>;
  /** Publishes `spec` through the API with `token`; anything but a 200 fails the test with the answer. */
  publish(token: string, spec: CrateSpec): Promise<void>;
  close(): Promise<void>;
}

/** A Wharf on a temporary data dir, driven through inject() with no socket. */
export async function createTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-test-'));
  const database = onPostgres ? await createTestDatabase() : null;
  // On the S3 pass every app keeps its files in a bucket of its own, unless the test chose a store.
  const storage = onS3 && !('storage' in overrides) ? s3Config(runEndpoint(), await createBucket(runEndpoint())) : {};
  const config = loadConfig({}, { dataDir, publicUrl: 'http://wharf.test', logLevel: 'info', databaseUrl: database?.url ?? null, ...storage, ...overrides });
  const clock = new TestClock();
  const ctx = { ...openContext(config), clock };
  await prepareDatabase(ctx, { migrate: true });
  const runtime = createRuntime(ctx);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp(runtime, { logStream });

  const tokenFor = async (userId: number, spec: Partial<TokenSpec> = {}) => {
    const { token, view } = await createToken(ctx, userId, { name: 'test', ...spec }, null);
    return { token, tokenId: view.id };
  };
  return {
    app,
    runtime,
    config,
    clock,
    dataDir,
    logs,
    tokenFor,
    async publish(token, spec) {
      const res = await app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody(spec), headers: { authorization: token } });
      if (res.statusCode !== 200) throw new Error(`publishing ${spec.name}@${spec.vers} answered ${res.statusCode}: ${res.body}`);
    },
    async userWithToken(login, spec = {}) {
      const user = await createUser(ctx, { login, isAdmin: spec.admin ?? false });
      return { userId: user.id, ...(await tokenFor(user.id, spec)) };
    },
    async close() {
      await app.close();
      // Every app of the suite ends with a scan for plaintext tokens in its database files (the
      // WAL before the checkpoint that closing performs, the main file after) and its logs.
      const leaks = scanForTokens(dataDir, logs);
      if (database) leaks.push(...(await scanDatabase(ctx.db)));
      await ctx.db.destroy();
      ctx.blobs.close?.();
      leaks.push(...scanForTokens(dataDir, []));
      rmSync(dataDir, { recursive: true, force: true });
      await database?.drop();
      if (leaks.length > 0) throw new Error(`plaintext token found in ${[...new Set(leaks)].join(', ')}`);
    },
  };
}
