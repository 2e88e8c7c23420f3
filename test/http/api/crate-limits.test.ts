import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCrateLimits, setCrateLimits } from '../../../src/services/crate-limits.service.js';
import { publishBody, type CrateSpec } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const features = (n: number, prefix = 'f'): Record<string, string[]> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, []]));
const detail = (res: { json(): unknown }) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';
const operator = { actor: null, via: 'cli:test' };

describe('publish limits: settings with defaults that admit crates.io, and per-crate overrides', () => {
  let t: TestApp;
  let token: string;
  const put = async (spec: CrateSpec) =>
    t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody(spec), headers: { authorization: token } });

  describe('with the defaults', () => {
    beforeAll(async () => {
      t = await createTestApp();
      token = (await t.userWithToken('alice')).token;
    });
    afterAll(() => t.close());

    it('publishes a crate with 399 features, as winapi 0.3.9 has', async () => {
      await t.publish(token, { name: 'winapi-like', vers: '0.3.9', features: features(399) });
    });

    it('publishes a crate with 1,600 features and one that enables them all, as web-sys has', async () => {
      const many = features(1600, 'Api');
      await t.publish(token, { name: 'web-sys-like', vers: '0.3.70', features: { ...many, full: Object.keys(many) } });
    });
  });

  describe("with crates.io's rules for new crates set in the configuration", () => {
    beforeAll(async () => {
      t = await createTestApp({ maxFeatures: 300, maxCrateSize: 64 * 1024 });
      token = (await t.userWithToken('alice')).token;
    });
    afterAll(() => t.close());

    it('refuses 301 features, saying how the limit is raised', async () => {
      const res = await put({ name: 'big', vers: '1.0.0', features: features(301) });
      expect(res.statusCode).toBe(400);
      expect(detail(res)).toMatch(/too many features \(301, max 300\).*wharf crate limits/);
    });

    it("an administrator's override lets one crate declare more, and no other", async () => {
      await t.publish(token, { name: 'big', vers: '1.0.0', features: features(10) });
      const set = await setCrateLimits(t.runtime.ctx, operator, 'big', { maxFeatures: 400 });
      expect(set.limits).toMatchObject({ maxFeatures: 400, overridden: { maxFeatures: true, maxUploadSize: false } });
      await t.publish(token, { name: 'big', vers: '1.1.0', features: features(400) });
      expect((await put({ name: 'big', vers: '1.2.0', features: features(401) })).statusCode).toBe(400);
      const other = await put({ name: 'other', vers: '1.0.0', features: features(301) });
      expect(other.statusCode).toBe(400);
      expect(detail(other)).toMatch(/max 300/);
    });

    it('an override can also lower the limit, and `null` restores the setting', async () => {
      await t.publish(token, { name: 'small', vers: '1.0.0', features: features(3) });
      await setCrateLimits(t.runtime.ctx, operator, 'small', { maxFeatures: 2 });
      const res = await put({ name: 'small', vers: '1.1.0', features: features(3) });
      expect(res.statusCode).toBe(400);
      expect(detail(res)).toMatch(/too many features \(3, max 2\)/);
      await setCrateLimits(t.runtime.ctx, operator, 'small', { maxFeatures: null });
      await t.publish(token, { name: 'small', vers: '1.1.0', features: features(3) });
    });

    it("the upload size override raises one crate's .crate limit", async () => {
      // Random bytes do not compress: the .crate stays over 64 KiB.
      const heavy = (vers: string, name = 'heavy'): CrateSpec => ({ name, vers, files: { 'data.bin': randomBytes(96 * 1024).toString('base64') } });
      await t.publish(token, { name: 'heavy', vers: '0.1.0' });
      const refused = await put(heavy('1.0.0'));
      expect(refused.statusCode).toBe(413);
      await setCrateLimits(t.runtime.ctx, operator, 'heavy', { maxUploadSize: 1024 * 1024 });
      await t.publish(token, heavy('1.0.0'));
      const other = await put(heavy('1.0.0', 'light'));
      expect(other.statusCode).toBe(413);
      expect(detail(other)).toMatch(/over the limit of 64 KB .* for this crate/);
    });

    it('overrides are audited and read back by any spelling of the name', async () => {
      const { crate, limits } = await getCrateLimits(t.runtime.ctx, 'BIG');
      expect(crate).toBe('big');
      expect(limits.maxFeatures).toBe(400);
      const rows = await t.runtime.ctx.db.selectFrom('audit_log').select(['action', 'crate_name', 'detail']).where('action', '=', 'crate.limits').execute();
      expect(rows.map((r) => r.crate_name)).toEqual(['big', 'small', 'small', 'heavy']);
      expect(JSON.parse(rows[0]?.detail ?? '{}')).toMatchObject({ max_features: 400, via: 'cli:test' });
    });

    it('refuses overrides out of range and unknown crates', async () => {
      await expect(setCrateLimits(t.runtime.ctx, operator, 'big', { maxFeatures: 0 })).rejects.toMatchObject({ status: 400 });
      await expect(setCrateLimits(t.runtime.ctx, operator, 'big', { maxUploadSize: 10 })).rejects.toMatchObject({ status: 400 });
      await expect(setCrateLimits(t.runtime.ctx, operator, 'nope', { maxFeatures: 5 })).rejects.toMatchObject({ status: 404 });
    });
  });
});

describe('API routes treat `-` and `_` as the same crate, as crates.io does', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp();
    token = (await t.userWithToken('alice')).token;
    await t.userWithToken('bob');
    await t.publish(token, { name: 'foo-bar', vers: '1.0.0' });
  });
  afterAll(() => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: token } });

  it.each(['/api/v1/crates/foo_bar', '/api/v1/crates/Foo_Bar', '/api/v1/crates/foo_bar/versions', '/api/v1/crates/foo_bar/1.0.0'])(
    'GET %s finds foo-bar',
    async (url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('"foo-bar"');
    },
  );

  it('GET /api/v1/crates/foo_bar/owners lists the owners of foo-bar (what `cargo owner --list foo_bar` asks)', async () => {
    const res = await get('/api/v1/crates/foo_bar/owners');
    expect(res.statusCode).toBe(200);
    expect((res.json() as { users: Array<{ login: string }> }).users.map((u) => u.login)).toEqual(['alice']);
  });

  it('yanks, unyanks and changes owners through the other spelling, and records the real name', async () => {
    const yank = await t.app.inject({ method: 'DELETE', url: '/api/v1/crates/foo_bar/1.0.0/yank', headers: { authorization: token } });
    expect(yank.statusCode).toBe(200);
    expect((await get('/index/fo/o-/foo-bar')).body).toContain('"yanked":true');
    const unyank = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/foo_bar/1.0.0/unyank', headers: { authorization: token } });
    expect(unyank.statusCode).toBe(200);
    expect((await get('/index/fo/o-/foo-bar')).body).toContain('"yanked":false');
    const owners = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/foo_bar/owners', payload: { users: ['bob'] }, headers: { authorization: token } });
    expect(owners.statusCode).toBe(200);
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').select('crate_name').where('action', 'in', ['crate.yank', 'owner.invite']).execute();
    expect(audit.map((r) => r.crate_name)).toEqual(['foo-bar', 'foo-bar']);
  });

  it('keeps index paths exact: the index has no file under the other spelling', async () => {
    expect((await get('/index/fo/o_/foo_bar')).statusCode).toBe(404);
  });
});
