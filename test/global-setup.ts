import { randomBytes } from 'node:crypto';
import { dropRunDatabases, onPostgres, postgresProblem } from './helpers/test-db.js';

/** On the PostgreSQL run: check the server answers, and drop this run's databases at the end. */
export async function setup(): Promise<() => Promise<void>> {
  process.env.WHARF_TEST_RUN_ID ??= `${process.pid}_${randomBytes(3).toString('hex')}`;
  if (!onPostgres) return async () => undefined;
  const problem = await postgresProblem();
  if (problem) throw new Error(problem);
  return async () => {
    await dropRunDatabases();
  };
}
