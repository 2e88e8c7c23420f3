import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCrateByName } from '../../src/db/repositories/crate.repository.js';
import { renderCrateIndex } from '../../src/services/index.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { onPostgres } from '../helpers/test-db.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Races that a registry under load meets. On the PostgreSQL run the requests really interleave
 * (a pool of connections); on SQLite they serialize on the one writer, which must be just as correct.
 */
describe(`concurrent writes (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let t: TestApp;
  let token: string;
  let other: string;

  beforeEach(async () => {
    t = await createTestApp({ databasePoolMax: 12 });
    token = (await t.userWithToken('alice')).token;
    other = (await t.userWithToken('bob')).token;
  });
  afterEach(() => t.close());

  const publish = async (name: string, vers: string, tok = token, description?: string) =>
    t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers, description }), headers: { authorization: tok } });
  const detail = (res: { json(): unknown }) => (res.json() as { errors?: Array<{ detail: string }> }).errors?.[0]?.detail;

  it('N concurrent publishes of one new version: exactly one success and N-1 answers of 409', async () => {
    const N = 12;
    // Different bytes each time (the description differs), so files could clash if keyed by version alone.
    const results = await Promise.all(Array.from({ length: N }, (_, i) => publish('racy', '1.0.0', token, `attempt ${i}`)));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, ...Array<number>(N - 1).fill(409)]);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(detail(r)).toBe('crate version `racy@1.0.0` already exists');

    const versions = await t.runtime.ctx.db.selectFrom('versions').selectAll().execute();
    expect(versions).toHaveLength(1);
    // The one file left is the winner's, with its checksum; the losers left nothing behind.
    const download = await t.app.inject({ method: 'GET', url: '/api/v1/crates/racy/1.0.0/download' });
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(download.rawPayload).digest('hex')).toBe(versions[0]!.checksum);
    const files: string[] = [];
    for await (const file of t.runtime.ctx.blobs.list('crates/racy/')) files.push(file.key);
    expect(files).toHaveLength(1);
  });

  it('N concurrent publishes of the same bytes leave one version whose file survives the losers cleaning up', async () => {
    const body = await publishBody({ name: 'same-bytes', vers: '1.0.0' });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: body, headers: { authorization: token } })),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/same-bytes/1.0.0/download' })).statusCode).toBe(200);
  });

  it('concurrent first publishes of foo-bar and foo_bar leave one crate', async () => {
    const results = await Promise.all([publish('foo-bar', '1.0.0'), publish('foo_bar', '1.0.0', other), publish('Foo-Bar', '1.0.0'), publish('FOO_BAR', '1.0.0', other)]);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) expect(r.statusCode).toBe(409);
    const crates = await t.runtime.ctx.db.selectFrom('crates').select('name').execute();
    expect(crates).toHaveLength(1);
  });

  it('concurrent first publishes of two versions of one new crate by its author both land', async () => {
    const results = await Promise.all([publish('twin', '1.0.0'), publish('twin', '1.0.1'), publish('twin', '1.0.2')]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const owners = await t.app.inject({ method: 'GET', url: '/api/v1/crates/twin/owners' });
    expect((owners.json() as { users: Array<{ login: string }> }).users.map((u) => u.login)).toEqual(['alice']);
  });

  it('interleaved yanks and publishes leave every index file equal to what the database says', async () => {
    const names = ['mix-a', 'mix-b', 'mix-c'];
    for (const name of names) expect((await publish(name, '0.1.0')).statusCode).toBe(200);
    const ops: Array<Promise<unknown>> = [];
    for (let i = 1; i <= 6; i++) {
      for (const name of names) {
        ops.push(publish(name, `0.2.${i}`));
        ops.push(t.app.inject({ method: 'GET', url: `/index/mi/x-/${name}` }));
        ops.push(t.app.inject({ method: 'DELETE', url: `/api/v1/crates/${name}/0.1.0/yank`, headers: { authorization: token } }));
        ops.push(t.app.inject({ method: 'PUT', url: `/api/v1/crates/${name}/0.1.0/unyank`, headers: { authorization: token } }));
      }
    }
    await Promise.all(ops);
    for (const name of names) {
      const served = await t.app.inject({ method: 'GET', url: `/index/mi/x-/${name}` });
      const crate = await findCrateByName(t.runtime.ctx.db, name);
      expect(served.body).toBe(await renderCrateIndex(t.runtime.ctx.db, crate!));
      expect(served.body.trim().split('\n')).toHaveLength(7);
    }
  });
});
