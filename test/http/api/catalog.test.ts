import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as keywordsMigration from '../../../src/db/migrations/011-keywords.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type Json = Record<string, unknown>;

describe("registry-wide documents in crates.io's shapes", () => {
  let t: TestApp;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await createTestApp();
    alice = (await t.userWithToken('alice')).token;
    bob = (await t.userWithToken('bob')).token;
    await t.publish(alice, { name: 'http-a', vers: '1.0.0', keywords: ['HTTP', 'client'] });
    await t.publish(alice, { name: 'http-b', vers: '1.0.0', keywords: ['http'] });
    await t.publish(bob, { name: 'parser', vers: '0.1.0', keywords: ['parsing', 'client'] });
    await t.publish(bob, { name: 'lonely', vers: '0.1.0' });
  });
  afterAll(() => t.close());

  const get = async (url: string, token?: string) => {
    const res = await t.app.inject({ url, headers: token ? { authorization: token } : {} });
    return { status: res.statusCode, json: res.json() as Json };
  };

  it('lists keywords with their crate counts, lowercased, sorted by name or by crates, paged', async () => {
    const alpha = await get('/api/v1/keywords');
    expect(alpha.status).toBe(200);
    expect(alpha.json.meta).toEqual({ total: 3 });
    const keywords = alpha.json.keywords as Array<Json>;
    expect(keywords.map((k) => [k.keyword, k.crates_cnt])).toEqual([['client', 2], ['http', 2], ['parsing', 1]]);
    expect(keywords[0]).toMatchObject({ id: 'client', keyword: 'client', created_at: expect.stringMatching(/^\d{4}-/) });
    const byCrates = await get('/api/v1/keywords?sort=crates&per_page=2&page=2');
    expect((byCrates.json.keywords as Array<Json>).map((k) => k.keyword)).toEqual(['parsing']);
    expect((await get('/api/v1/keywords?per_page=101')).status).toBe(400);
  });

  it('answers one keyword by any case, and 404 for one no crate has', async () => {
    expect((await get('/api/v1/keywords/HTTP')).json).toMatchObject({ keyword: { id: 'http', crates_cnt: 2 } });
    expect((await get('/api/v1/keywords/nothing')).status).toBe(404);
  });

  it("follows a crate's highest version: keywords a new release drops are gone, an older release changes nothing", async () => {
    await t.publish(bob, { name: 'parser', vers: '0.2.0', keywords: ['parsing'] });
    await t.publish(bob, { name: 'parser', vers: '0.1.1', keywords: ['ancient'] });
    expect((await get('/api/v1/keywords/client')).json).toMatchObject({ keyword: { crates_cnt: 1 } });
    expect((await get('/api/v1/keywords/ancient')).status).toBe(404);
  });

  it('fills the keyword rows of crates published before the table existed', async () => {
    const db = t.runtime.ctx.db as unknown as Kysely<unknown>;
    await keywordsMigration.down(db);
    await keywordsMigration.up(db);
    const listed = (await get('/api/v1/keywords')).json.keywords as Array<Json>;
    expect(listed.map((k) => [k.keyword, k.crates_cnt])).toEqual([['client', 1], ['http', 2], ['parsing', 1]]);
  });

  it('describes a user, and 404 for an unknown login', async () => {
    const res = await get('/api/v1/users/ALICE');
    expect(res.status).toBe(200);
    expect(res.json.user).toEqual({
      id: expect.any(Number),
      login: 'alice',
      name: null,
      avatar: null,
      url: 'http://wharf.test/users/alice',
      created_at: expect.stringMatching(/^\d{4}-/),
      github_username_matches: false,
    });
    expect((await get('/api/v1/users/nobody')).status).toBe(404);
  });

  it('GET /api/v1/me answers the caller and the crates they own; it needs a token', async () => {
    const res = await get('/api/v1/me', alice);
    expect(res.status).toBe(200);
    expect(res.json.user).toMatchObject({ login: 'alice', is_admin: false, email_verified: false });
    expect((res.json.owned_crates as Array<Json>).map((c) => c.name)).toEqual(['http-a', 'http-b']);
    expect((await get('/api/v1/me')).status).toBe(401);
  });

  it("GET /api/v1/me/updates pages the newest versions of the caller's crates", async () => {
    const first = await get('/api/v1/me/updates?per_page=2', bob);
    expect((first.json.versions as Array<Json>).map((v) => `${v.crate}@${v.num}`)).toEqual(['parser@0.1.1', 'parser@0.2.0']);
    expect(first.json.meta).toEqual({ more: true });
    const second = await get('/api/v1/me/updates?per_page=2&page=2', bob);
    expect((second.json.versions as Array<Json>).map((v) => `${v.crate}@${v.num}`)).toEqual(['lonely@0.1.0', 'parser@0.1.0']);
    expect(second.json.meta).toEqual({ more: false });
  });

  it('summarises the registry: totals, new, most downloaded (only crates with downloads), recently downloaded, updated, keywords', async () => {
    for (let i = 0; i < 3; i++) await t.app.inject({ url: '/api/v1/crates/http-b/1.0.0/download' });
    await t.app.inject({ url: '/api/v1/crates/parser/0.2.0/download' });
    await t.runtime.downloads.flush();
    const res = await get('/api/v1/summary');
    expect(res.status).toBe(200);
    const names = (key: string) => (res.json[key] as Array<Json>).map((c) => c.name);
    expect(res.json).toMatchObject({ num_crates: 4, num_downloads: 4, popular_categories: [] });
    expect(names('most_downloaded')).toEqual(['http-b', 'parser']);
    expect(names('most_recently_downloaded')).toEqual(['http-b', 'parser']);
    expect((res.json.most_recently_downloaded as Array<Json>)[0]).toMatchObject({ recent_downloads: 3, max_version: '1.0.0' });
    expect(names('new_crates')).toHaveLength(4);
    expect(names('just_updated')[0]).toBe('parser');
    expect((res.json.popular_keywords as Array<Json>)[0]).toMatchObject({ keyword: 'http', crates_cnt: 2 });
  });

  it('answers site metadata with this build and where files are served from', async () => {
    const res = await get('/api/v1/site_metadata');
    expect(res.json).toEqual({ deployed_sha: expect.stringMatching(/^\d+\.\d+\.\d+/), commit: expect.any(String), cdn_base: 'http://wharf.test', read_only: false, banner_message: null });
  });
});

describe('on a private registry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ authRequired: true });
  });
  afterAll(() => t.close());

  it.each(['/api/v1/summary', '/api/v1/keywords', '/api/v1/keywords/x', '/api/v1/users/alice'])('%s needs a token', async (url) => {
    expect((await t.app.inject({ url })).statusCode).toBe(401);
  });
});
