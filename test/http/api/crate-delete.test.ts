import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { createSession, csrfTokenFor, markReauthenticated, SESSION_COOKIE } from '../../../src/services/session.service.js';
import { dependencySpec } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type Res = { statusCode: number; body: string; json(): unknown };
const detail = (res: Res) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A registry where alice owns `doomed` (published through her token) and is signed in. */
async function registry(overrides: Partial<Config> = {}) {
  const t = await createTestApp(overrides);
  const ctx = t.runtime.ctx;
  const alice = await t.userWithToken('alice');
  let session = await createSession(ctx, alice.userId);
  await markReauthenticated(ctx, session);
  /** A fresh sign-in (sessions end; the clock moves in days here). */
  const signInAgain = async () => {
    session = await createSession(ctx, alice.userId);
    await markReauthenticated(ctx, session);
  };
  const browser = (s = session) => ({ cookie: `${SESSION_COOKIE}=${s}`, 'x-csrf-token': csrfTokenFor(s) });
  const del = (name: string, headers: Record<string, string> = browser(), query = '') =>
    t.app.inject({ method: 'DELETE', url: `/api/v1/crates/${name}${query}`, headers });
  await t.publish(alice.token, { name: 'doomed', vers: '1.0.0', keywords: ['gone'], meta: { categories: ['parsing'] } });
  await t.publish(alice.token, { name: 'doomed', vers: '1.1.0' });
  return { t, ctx, alice, get session() { return session; }, signInAgain, browser, del };
}

describe('DELETE /api/v1/crates/{name}', () => {
  let t: TestApp | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('deletes a young crate of its owner: rows, index file, files, downloads; audited; the name is reserved, then free after 24 h', async () => {
    const r = await registry();
    t = r.t;
    const { ctx } = r;
    // A download counted in memory before the deletion must not break the next flush.
    const dl = await t.app.inject({ method: 'GET', url: '/api/v1/crates/doomed/1.0.0/download' });
    expect(dl.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/index/do/om/doomed' })).statusCode).toBe(200);
    const keysBefore: string[] = [];
    for await (const b of ctx.blobs.list('crates/')) keysBefore.push(b.key);
    expect(keysBefore).toHaveLength(2);

    const res = await r.del('Doomed', r.browser(), '?message=published%20by%20mistake');
    expect(res.statusCode, res.body).toBe(204);

    await t.runtime.downloads.flush();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/doomed' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/index/do/om/doomed' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/doomed/1.0.0/download' })).statusCode).toBe(404);
    const search = await t.app.inject({ method: 'GET', url: '/api/v1/crates?q=doomed' });
    expect((search.json() as { crates: unknown[] }).crates).toEqual([]);
    const left: string[] = [];
    for await (const b of ctx.blobs.list('crates/')) left.push(b.key);
    expect(left).toEqual([]);
    for (const table of ['versions', 'crate_owners', 'crate_keywords', 'crate_categories', 'version_downloads', 'readmes', 'dependencies'] as const) {
      expect((await ctx.db.selectFrom(table).selectAll().execute()).length, table).toBe(0);
    }
    const parsing = await ctx.db.selectFrom('categories').select('crates_cnt').where('slug', '=', 'parsing').executeTakeFirst();
    expect(Number(parsing?.crates_cnt)).toBe(0);
    const audit = await ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'crate.delete').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.crate_name).toBe('doomed');
    expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ versions: ['1.0.0', '1.1.0'], authority: 'owner', message: 'published by mistake' });

    // Reserved under either spelling, for anybody, for 24 hours.
    const bob = await t.userWithToken('bob');
    await expect(t.publish(bob.token, { name: 'DOOMED', vers: '2.0.0' })).rejects.toThrow(/deleted recently; the name can be used again after/);
    t.clock.advance(23 * HOUR);
    await expect(t.publish(r.alice.token, { name: 'doomed', vers: '2.0.0' })).rejects.toThrow(/deleted recently/);
    t.clock.advance(HOUR + 1000);
    await t.publish(bob.token, { name: 'doomed', vers: '2.0.0' });
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/crates/doomed/owners' });
    expect((again.json() as { users: Array<{ login: string }> }).users.map((u) => u.login)).toEqual(['bob']);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/doomed/1.0.0/download' })).statusCode).toBe(404);
  });

  it('refuses tokens, strangers, a missing CSRF header and a stale sign-in', async () => {
    const r = await registry();
    t = r.t;
    const token = await r.del('doomed', { authorization: r.alice.token });
    expect(token.statusCode).toBe(403);
    expect(detail(token)).toMatch(/not with an API token/);
    expect((await r.del('doomed', { cookie: `${SESSION_COOKIE}=${r.session}` })).statusCode).toBe(403);
    const bob = await t.userWithToken('bob');
    const bobSession = await createSession(r.ctx, bob.userId);
    await markReauthenticated(r.ctx, bobSession);
    const stranger = await r.del('doomed', r.browser(bobSession));
    expect(stranger.statusCode).toBe(403);
    expect(detail(stranger)).toMatch(/only owners may delete/);
    expect((await r.del('nothing-here')).statusCode).toBe(404);
    t.clock.advance(HOUR);
    const stale = await r.del('doomed');
    expect(stale.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/doomed' })).statusCode).toBe(200);
  });

  it("follows RFC 3660 after 72 hours: one owner, few downloads per month, no dependents", async () => {
    const r = await registry();
    t = r.t;
    const ctx = r.ctx;
    t.clock.advance(4 * DAY);
    await r.signInAgain();
    // Too many downloads for one month of life.
    await ctx.db.updateTable('crates').set({ downloads: 1001 }).execute();
    const busy = await r.del('doomed');
    expect(busy.statusCode).toBe(422);
    expect(detail(busy)).toMatch(/at most 1000 downloads per month of their life .*this one has 1001, at most 1000 allowed/);
    // Two months started: 2000 allowed.
    t.clock.advance(30 * DAY);
    await r.signInAgain();
    const bob = await t.userWithToken('bob');
    const crateId = (await ctx.db.selectFrom('crates').select('id').where('name', '=', 'doomed').executeTakeFirstOrThrow()).id;
    await ctx.db.insertInto('crate_owners').values({ crate_id: crateId, user_id: bob.userId, created_at: t.clock.now().toISOString(), created_by: r.alice.userId }).execute();
    const shared = await r.del('doomed');
    expect(shared.statusCode).toBe(422);
    expect(detail(shared)).toMatch(/single owner/);
    await ctx.db.deleteFrom('crate_owners').where('user_id', '=', bob.userId).execute();
    await t.publish(bob.token, { name: 'user-of-doomed', vers: '0.1.0', deps: [dependencySpec('doomed', '^1')] });
    const depended = await r.del('doomed');
    expect(depended.statusCode).toBe(422);
    expect(detail(depended)).toMatch(/user-of-doomed@0\.1\.0 depends on this crate/);
    await ctx.db.deleteFrom('crates').where('name', '=', 'user-of-doomed').execute();
    expect((await r.del('doomed')).statusCode).toBe(204);
  });

  it('even a young crate stays while another crate depends on it', async () => {
    const r = await registry();
    t = r.t;
    await t.publish(r.alice.token, { name: 'needs-doomed', vers: '1.0.0', deps: [dependencySpec('doomed', '^1')] });
    const res = await r.del('doomed');
    expect(res.statusCode).toBe(422);
    expect(detail(res)).toMatch(/needs-doomed@1\.0\.0/);
  });

  it('`owners` lets owners delete at any age; `admins` lets no owner; the reserve can be set to 0', async () => {
    const owners = await registry({ crateDeletion: 'owners', deletedNameReserveHours: 0 });
    t = owners.t;
    t.clock.advance(400 * DAY);
    await owners.signInAgain();
    await owners.ctx.db.updateTable('crates').set({ downloads: 10_000_000 }).execute();
    expect((await owners.del('doomed')).statusCode).toBe(204);
    await t.publish(owners.alice.token, { name: 'doomed', vers: '1.0.0' });
    await t.close();
    t = null;

    const admins = await registry({ crateDeletion: 'admins' });
    t = admins.t;
    const res = await admins.del('doomed');
    expect(res.statusCode).toBe(403);
    expect(detail(res)).toMatch(/only administrators may delete crates/);
  });
});
