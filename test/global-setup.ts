import { randomBytes } from 'node:crypto';
import { onS3, startS3Server } from './helpers/s3-server.js';
import { dropRunDatabases, onPostgres, postgresProblem } from './helpers/test-db.js';

/** On the PostgreSQL run: check the server answers, and drop this run's databases at the end. */
export async function setup(): Promise<() => Promise<void>> {
  process.env.WHARF_TEST_RUN_ID ??= `${process.pid}_${randomBytes(3).toString('hex')}`;
  // The S3 pass: one s3rver for the run, each test app and data folder with its own bucket.
  const s3 = onS3 ? await startS3Server() : null;
  if (s3) process.env.WHARF_TEST_S3_ENDPOINT = s3.endpoint;
  const closeS3 = async () => {
    await s3?.close();
  };
  if (!onPostgres) return closeS3;
  const problem = await postgresProblem();
  if (problem) {
    await closeS3();
    throw new Error(problem);
  }
  return async () => {
    await dropRunDatabases();
    await closeS3();
  };
}
