import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeVersions } from '../../src/core/version-order.js';
import * as summaryMigration from '../../src/db/migrations/013-crate-summary.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, unknown>;

describe("the version summary kept on each crate's row", () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    token = (await t.userWithToken('alice')).token;
    for (const vers of ['1.0.0', '2.0.0-beta.1', '1.1.0']) await t.publish(token, { name: 'summed', vers });
  });
  afterAll(() => t.close());

  const yank = (vers: string, yanked: boolean) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/crates/summed/${vers}`, payload: { version: { yanked } }, headers: { authorization: token } });
  const listed = async () => {
    const search = (await t.app.inject({ url: '/api/v1/crates?q=summed' })).json() as { crates: Json[] };
    const doc = (await t.app.inject({ url: '/api/v1/crates/summed' })).json() as { crate: Json };
    expect(search.crates[0]).toMatchObject({ max_version: doc.crate.max_version, yanked: doc.crate.yanked, num_versions: doc.crate.num_versions });
    return doc.crate;
  };

  it('follows publishes and yanks, in search and in the crate document alike', async () => {
    expect(await listed()).toMatchObject({ max_version: '2.0.0-beta.1', max_stable_version: '1.1.0', newest_version: '1.1.0', default_version: '1.1.0', num_versions: 3, yanked: false });
    expect((await yank('1.1.0', true)).statusCode).toBe(200);
    expect(await listed()).toMatchObject({ max_version: '2.0.0-beta.1', max_stable_version: '1.0.0', default_version: '1.0.0', yanked: false });
    for (const v of ['1.0.0', '2.0.0-beta.1']) expect((await yank(v, true)).statusCode).toBe(200);
    expect(await listed()).toMatchObject({ max_version: '2.0.0-beta.1', max_stable_version: null, yanked: true });
    expect((await yank('1.0.0', false)).statusCode).toBe(200);
    expect(await listed()).toMatchObject({ max_version: '1.0.0', default_version: '1.0.0', yanked: false });
  });

  it('the home page lists a crate at its default version', async () => {
    const page = await t.app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(page.body).toMatch(/summed[\s\S]{0,200}1\.0\.0/);
  });

  it('is filled for crates that existed before the columns did', async () => {
    const db = t.runtime.ctx.db as unknown as Kysely<unknown>;
    const before = await listed();
    await summaryMigration.down(db);
    await summaryMigration.up(db);
    expect(await listed()).toEqual(before);
  });

  it('matches the rule on a crate without versions', () => {
    expect(summarizeVersions([])).toEqual({ max_version: '0.0.0', max_stable_version: null, newest_version: '0.0.0', default_version: null, num_versions: 0, all_yanked: false });
  });
});
