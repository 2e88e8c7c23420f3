import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchSession } from '../../../src/db/repositories/session.repository.js';
import { createSession, liveSession } from '../../../src/services/session.service.js';
import type { ServiceContext } from '../../../src/services/context.js';
import { createTestApp, type TestApp, TestClock } from '../../helpers/test-app.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * A session's last-seen time is a column of its row, not something an instance remembers: two
 * instances (two contexts on one database, each with its own clock) read and move the same time,
 * at most once per 5 minutes between them.
 */
describe("a session's last-seen time, shared by every instance", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const lastSeen = async (cookie: string) =>
    (await t.runtime.ctx.db.selectFrom('sessions').select('last_seen_at').where('session_hash', '=', sha256(cookie)).executeTakeFirstOrThrow()).last_seen_at;

  it('is written by whichever instance sees the session first once 5 minutes have passed, and by no other', async () => {
    const start = new Date('2030-01-01T00:00:00Z');
    const instance = (clock: TestClock): ServiceContext => ({ ...t.runtime.ctx, clock });
    const [a, b] = [new TestClock(start), new TestClock(start)];
    const cookie = await createSession(instance(a), (await t.userWithToken('alice')).userId);
    expect(await lastSeen(cookie)).toBe(start.toISOString());

    a.advance(4 * 60_000);
    b.advance(4 * 60_000);
    await liveSession(instance(a), cookie);
    expect(await lastSeen(cookie)).toBe(start.toISOString());

    a.advance(60_000);
    await liveSession(instance(a), cookie);
    const movedByA = await lastSeen(cookie);
    expect(movedByA).toBe(new Date(start.getTime() + 5 * 60_000).toISOString());
    // B read the row before A's write and decides to touch it a second later: the statement's own
    // condition sees A's time and writes nothing.
    b.advance(61_000);
    await touchSession(t.runtime.ctx.db, sha256(cookie), b.now().toISOString(), new Date(b.now().getTime() - 5 * 60_000).toISOString());
    expect(await lastSeen(cookie)).toBe(movedByA);
    // Once 5 minutes have passed since A's write, B's touch is due and lands.
    b.advance(5 * 60_000);
    await liveSession(instance(b), cookie);
    expect(await lastSeen(cookie)).toBe(b.now().toISOString());
  });
});
