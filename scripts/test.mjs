#!/usr/bin/env node
// `npm test`: build, typecheck, run the suite on SQLite, then again on PostgreSQL when a server
// answers (each test app in a fresh database, dropped afterwards). A skipped PostgreSQL run says why.
// After each suite, the files whose behaviour depends on where the crate files live run once more
// with the files in an S3 bucket (s3rver, started by test/global-setup.ts): not the whole suite,
// which would double its time for routes that never touch a file.
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const adminUrl = process.env.WHARF_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const extra = process.argv.slice(2);

/** Publish, download, check, backup, restore, crash and mirror tests: run again against the S3 store. */
const S3_FILES = [
  'test/http/api/publish.test.ts',
  'test/http/api/read-api.test.ts',
  'test/http/api/crate-delete.test.ts',
  'test/services/publish-concurrency.test.ts',
  'test/services/check.test.ts',
  'test/http/mirror/mirror.test.ts',
  'test/e2e/cargo-core.e2e.test.ts',
  'test/e2e/backup-restore.e2e.test.ts',
  'test/crash/sigkill.test.ts',
];
// Only when the whole suite runs: `npm test -- some/file.test.ts` runs just what it names.
const s3Pass = extra.length === 0;

function run(label, command, args, env = {}) {
  console.log(`\n== ${label}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`\n== ${label}: failed`);
    process.exit(result.status ?? 1);
  }
}

async function postgresProblem() {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return err.message || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

run('build', 'npm', ['run', 'build', '--silent']);
run('typecheck (src and tests)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
if (process.env.WHARF_TEST_ONLY !== 'postgres') {
  run('suite on SQLite', 'npx', ['vitest', 'run', ...extra], { WHARF_TEST_DATABASE: 'sqlite' });
  if (s3Pass) run('crate files in S3 (s3rver), SQLite', 'npx', ['vitest', 'run', ...S3_FILES], { WHARF_TEST_DATABASE: 'sqlite', WHARF_TEST_STORAGE: 's3' });
}
if (process.env.WHARF_TEST_ONLY === 'sqlite') process.exit(0);
const problem = await postgresProblem();
if (problem) {
  console.log(`\n== suite on PostgreSQL: SKIPPED, no PostgreSQL answers at ${adminUrl} (${problem})`);
} else {
  run('suite on PostgreSQL', 'npx', ['vitest', 'run', ...extra], { WHARF_TEST_DATABASE: 'postgres' });
  if (s3Pass) run('crate files in S3 (s3rver), PostgreSQL', 'npx', ['vitest', 'run', ...S3_FILES], { WHARF_TEST_DATABASE: 'postgres', WHARF_TEST_STORAGE: 's3' });
}
