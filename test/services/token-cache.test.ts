import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openContext } from '../../src/bootstrap.js';
import { changeStamp, type Db } from '../../src/db/create-db.js';
import { revokeTokens } from '../../src/db/repositories/token.repository.js';
import { authenticateToken, revokeToken } from '../../src/services/token.service.js';
import { onPostgres } from '../helpers/test-db.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Token rows may be reused between requests only while the database proves nothing changed:
 * whatever revokes a token or locks its owner, and from whichever process, the next request
 * is refused.
 */
describe('reusing token lookups', () => {
  let t: TestApp;
  let token: string;
  let tokenId: number;
  let userId: number;
  let other: Db | null = null;

  beforeEach(async () => {
    t = await createTestApp();
    ({ token, tokenId, userId } = await t.userWithToken('alice'));
    // A second, independent connection to the same database: another instance or a CLI run.
    other = openContext(t.config).db;
    // Warm: the row has been read (and last_used_at written) before the change under test.
    await authenticateToken(t.runtime.ctx, token);
    await authenticateToken(t.runtime.ctx, token);
  });
  afterEach(async () => {
    await other?.destroy();
    other = null;
    await t.close();
  });

  it('refuses a token revoked by another connection on its very next use', async () => {
    await revokeTokens(other!, { id: tokenId }, { at: new Date().toISOString(), reason: 'revoked elsewhere', by: null });
    await expect(authenticateToken(t.runtime.ctx, token)).rejects.toThrow(/revoked elsewhere/);
  });

  it('refuses a token whose owner was locked by another connection', async () => {
    await other!.updateTable('users').set({ locked_at: new Date().toISOString() }).where('id', '=', userId).execute();
    await expect(authenticateToken(t.runtime.ctx, token)).rejects.toThrow(/locked/);
  });

  it('refuses a token revoked through this instance on its very next use', async () => {
    await revokeToken(t.runtime.ctx, { actor: null }, tokenId, 'revoked here');
    await expect(authenticateToken(t.runtime.ctx, token)).rejects.toThrow(/revoked here/);
  });

  it.skipIf(onPostgres)('has a change stamp that holds still while nothing changes and moves on any commit', async () => {
    const db = t.runtime.ctx.db;
    const before = changeStamp(db);
    expect(before).not.toBeNull();
    await authenticateToken(t.runtime.ctx, token);
    expect(changeStamp(db)).toBe(before);
    await other!.updateTable('users').set({ name: 'Alice' }).where('id', '=', userId).execute();
    const afterOther = changeStamp(db);
    expect(afterOther).not.toBe(before);
    await db.updateTable('crates').set({ downloads: 1 }).where('id', '=', -1).execute();
    expect(changeStamp(db)).not.toBe(afterOther);
    await db.transaction().execute(async () => {
      expect(changeStamp(db)).toBeNull();
    });
  });

  it.skipIf(!onPostgres)('has no change stamp on PostgreSQL, so every request queries', () => {
    expect(changeStamp(t.runtime.ctx.db)).toBeNull();
  });
});
