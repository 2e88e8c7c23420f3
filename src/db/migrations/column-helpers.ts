import { type CreateTableBuilder, type Kysely, PostgresAdapter } from 'kysely';

export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** An auto-incrementing primary key in the syntax of whichever engine runs the migration. */
export function withId<T extends string>(
  db: Kysely<unknown>,
  table: CreateTableBuilder<T, never>,
  type: 'integer' | 'bigint' = 'integer',
): CreateTableBuilder<T, 'id'> {
  return isPostgres(db)
    ? table.addColumn('id', type === 'bigint' ? 'bigserial' : 'serial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}
