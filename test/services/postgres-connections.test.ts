import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_URL, onPostgres } from '../helpers/test-db.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The PostgreSQL server may close idle connections at any time (a restart, a failover, an
 * administrator, a proxy's idle limit). Wharf must not go down with them.
 */
describe.runIf(onPostgres)('PostgreSQL connections closed by the server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ databasePoolMax: 4 });
  });
  afterAll(() => t.close());

  it('are replaced, and requests go on being answered', async () => {
    // Fill the pool with idle connections.
    await Promise.all(Array.from({ length: 4 }, () => t.app.inject({ method: 'GET', url: '/api/v1/crates?q=x' })));
    const database = new URL(t.config.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ killed: boolean }>(
        'select pg_terminate_backend(pid) as killed from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    // Let the terminations reach the idle clients, whose 'error' events would end an unguarded process.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/crates?q=x' });
    expect(res.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});
