#!/usr/bin/env node
// `npm test`: build, typecheck, run the suite on SQLite, then again on PostgreSQL when a server
// answers (each test app in a fresh database, dropped afterwards). A skipped PostgreSQL run says why.
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const adminUrl = process.env.WHARF_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const extra = process.argv.slice(2);

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
if (process.env.WHARF_TEST_ONLY !== 'postgres') run('suite on SQLite', 'npx', ['vitest', 'run', ...extra], { WHARF_TEST_DATABASE: 'sqlite' });
if (process.env.WHARF_TEST_ONLY === 'sqlite') process.exit(0);
const problem = await postgresProblem();
if (problem) {
  console.log(`\n== suite on PostgreSQL: SKIPPED, no PostgreSQL answers at ${adminUrl} (${problem})`);
} else {
  run('suite on PostgreSQL', 'npx', ['vitest', 'run', ...extra], { WHARF_TEST_DATABASE: 'postgres' });
}
