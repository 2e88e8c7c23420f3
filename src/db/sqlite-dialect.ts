import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

/** Prepared statements kept per connection; the app issues a few dozen distinct queries. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite dialect with two changes measured on the read path (bench/README.md):
 * - statements are prepared once and reused (better-sqlite3 compiles SQL on every prepare(),
 *   which cost more than running the indexed query it prepared);
 * - the single connection is handed to waiters in FIFO order. Kysely's own lock wakes every
 *   waiter on each release, so N concurrent requests cost N wake-ups per query.
 */
export class WharfSqliteDialect implements Dialect {
  private readonly writes = { count: 0 };
  private dataVersion: Statement | null = null;

  constructor(private readonly database: SqliteDatabase) {}

  createDriver(): Driver {
    return new WharfSqliteDriver(this.database, this.writes);
  }

  /**
   * A value that changes whenever the database may have changed: any write statement on this
   * connection, or a commit by any other connection or process (`PRAGMA data_version`). Null
   * inside a transaction, where the snapshot can lag behind other processes' commits.
   */
  changeStamp(): string | null {
    if (this.database.inTransaction) return null;
    this.dataVersion ??= this.database.prepare('pragma data_version').pluck();
    return `${String(this.dataVersion.get())}:${this.writes.count}`;
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class WharfSqliteDriver implements Driver {
  private readonly lock = new FifoLock();
  private readonly connection: WharfSqliteConnection;

  constructor(
    private readonly database: SqliteDatabase,
    writes: { count: number },
  ) {
    this.connection = new WharfSqliteConnection(database, writes);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock.acquire();
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // Every transaction here writes. A deferred `begin` that reads first and then writes fails at
    // once with SQLITE_BUSY when another process wrote in between (no busy wait can help it);
    // `begin immediate` takes the write lock up front, where busy_timeout makes it wait instead.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteName(name)}`));
  }

  async releaseConnection(): Promise<void> {
    this.lock.release();
  }

  async destroy(): Promise<void> {
    this.database.close();
  }
}

const quoteName = (name: string) => `"${name.replaceAll('"', '""')}"`;

class WharfSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly database: SqliteDatabase,
    private readonly writes: { count: number },
  ) {}

  /** The prepared statement for `sql`, least recently used dropped first when the cache is full. */
  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      this.statements.delete(sql);
    } else {
      stmt = this.database.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value as string);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    // better-sqlite3 runs a statement to completion before returning, so a cached statement is
    // never busy when it is used again.
    const stmt = this.statement(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    // Counted before it runs, and for RETURNING statements too (they are readers that write).
    if (!stmt.readonly) this.writes.count++;
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // An iterating statement stays busy between rows, so streams get a statement of their own.
    const stmt = this.database.prepare(compiledQuery.sql);
    if (!stmt.reader) throw new Error('the SQLite driver streams only queries that return rows');
    for (const row of stmt.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }
}

/** A lock whose release hands it straight to the longest waiter. */
class FifoLock {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}
