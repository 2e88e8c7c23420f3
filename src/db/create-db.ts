import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { WharfSqliteDialect } from './sqlite-dialect.js';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

/** Opens the embedded SQLite database in WAL mode, creating it and its folder (0700) when missing unless `mustExist`. */
export function createSqliteDb(file: string, { mustExist = false }: { mustExist?: boolean } = {}): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new SqliteDatabase(file, { fileMustExist: mustExist });
  // Password hashes, e-mails, session and token hashes: readable by the server's account only.
  // SQLite gives the -wal and -shm files it creates the mode of the database file.
  restrictMode(file, 0o600);
  sqlite.pragma('journal_mode = WAL');
  // Writers from another process wait instead of failing with "database is locked".
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const dialect = new WharfSqliteDialect(sqlite);
  const db = new Kysely<Database>({ dialect });
  changeStamps.set(db, () => dialect.changeStamp());
  return db;
}

/**
 * Sets a mode on a file or folder of the data directory, unless it belongs to another account
 * (only its owner or root may chmod it; its owner chose its mode).
 */
export function restrictMode(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

const changeStamps = new WeakMap<Db, () => string | null>();

/**
 * A cheap value that differs whenever anything in the database may have changed since it was
 * last read, whoever changed it; null when the database offers no such value (PostgreSQL) or
 * cannot now (inside a transaction). Lets a cache check it is current at the cost of reading
 * a counter instead of running its query.
 */
export function changeStamp(db: Db): string | null {
  return changeStamps.get(db)?.() ?? null;
}

// Counters are bigint columns; their values stay far below 2^53, so they are read as numbers.
const INT8_OID = 20;
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'),
};

export function createPostgresDb(url: string, poolMax: number): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // A runaway query cannot hold a connection forever.
    statement_timeout: 30_000,
    types,
  });
  // An idle connection can be closed by the server (a restart, a failover, an administrator, a
  // proxy's idle limit). The pool drops that client and the next query opens a new one; without
  // a listener, the pool's 'error' event would instead end the process. A database that is really
  // gone shows in the queries that fail and in /health/ready.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Fails with the driver's reason when the database does not answer. */
export async function checkConnection(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
