import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-db.js';
import { wharf } from '../helpers/wharf-process.js';

describe('starting on PostgreSQL', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-pgstart-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('fails with a clear message, without the password, when the database is unreachable', async () => {
    const r = await wharf(['serve'], { WHARF_DATA_DIR: dataDir, WHARF_DATABASE_URL: 'postgres://wharf:hunter2secret@127.0.0.1:1/wharf' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot reach the database (PostgreSQL at postgres://wharf:***@127.0.0.1:1/wharf)');
    expect(r.stderr).not.toContain('hunter2secret');
  });

  it('refuses a URL that is not PostgreSQL at boot', async () => {
    const r = await wharf(['serve'], { WHARF_DATA_DIR: dataDir, WHARF_DATABASE_URL: 'mysql://x@y/z' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('WHARF_DATABASE_URL: must be a postgres:// URL');
  });

  describe.runIf(onPostgres)('with a reachable server', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db.drop());

    it('refuses to serve on a database whose migrations are behind, then works after `wharf migrate`', async () => {
      const env = { WHARF_DATA_DIR: dataDir, WHARF_DATABASE_URL: db.url, WHARF_PORT: '1' };
      const behind = await wharf(['serve'], env);
      expect(behind.code).not.toBe(0);
      expect(behind.stderr).toMatch(/is missing migrations 001-initial, .*; run `wharf migrate`/);
      const migrated = await wharf(['migrate'], env);
      expect(migrated.stdout).toMatch(/applied 001-initial/);
      expect((await wharf(['migrate'], env)).stdout).toContain('up to date');
      // With the schema current, commands that need the database work without migrating themselves.
      const users = await wharf(['user', 'add', 'pg-admin'], env);
      expect(users.code).toBe(0);
    });
  });
});
