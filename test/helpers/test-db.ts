import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Which database the suite runs on. `npm test` runs it once on SQLite and once more with
 * WHARF_TEST_DATABASE=postgres, where every test app gets a freshly created PostgreSQL
 * database that is dropped when the app closes.
 */
export const onPostgres = process.env.WHARF_TEST_DATABASE === 'postgres';

export const ADMIN_URL = process.env.WHARF_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databasePrefix(): string {
  return `wharf_test_${process.env.WHARF_TEST_RUN_ID ?? 'local'}_`;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty PostgreSQL database for one test app. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${databasePrefix()}${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Drops every database a run left behind (a crashed test cannot drop its own). */
export async function dropRunDatabases(): Promise<number> {
  return admin(async (c) => {
    const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${databasePrefix()}%`]);
    for (const { datname } of rows) await c.query(`drop database if exists ${datname} with (force)`);
    return rows.length;
  });
}

/** Why PostgreSQL cannot be used, or null when it answers. */
export async function postgresProblem(): Promise<string | null> {
  try {
    await admin((c) => c.query('select 1'));
    return null;
  } catch (err) {
    return `no PostgreSQL answers at ${ADMIN_URL}: ${(err as Error).message}`;
  }
}
