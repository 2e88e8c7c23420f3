import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crateTarball, metadataFor, publishBody, publishFrame, type CrateSpec } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

describe('PUT /api/v1/crates/new', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp({ maxCrateSize: 64 * 1024 });
    token = (await t.userWithToken('alice')).token;
  });
  afterAll(() => t.close());

  const put = (payload: Buffer, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload, headers: { authorization: token, ...headers } });
  const detail = (res: { json(): unknown }) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';
  const stored = async () => ({
    crates: (await t.runtime.ctx.db.selectFrom('crates').select('name').execute()).map((r) => r.name),
    versions: (await t.runtime.ctx.db.selectFrom('versions').select('num').execute()).length,
  });

  it('publishes a valid crate and answers with warnings cargo understands', async () => {
    const res = await put(await publishBody({ name: 'good', vers: '1.0.0' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      crate: expect.objectContaining({ name: 'good', max_version: '1.0.0', num_versions: 1 }),
      warnings: { invalid_categories: [], invalid_badges: [], other: [] },
    });
  });

  it('refuses a publish without a token, with the login hint', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'anon', vers: '1.0.0' }) });
    expect(res.statusCode).toBe(401);
    expect(detail(res)).toContain('http://wharf.test/me');
  });

  const rejections: Array<[string, CrateSpec, number, RegExp]> = [
    ['a name starting with a digit', { name: '1abc', vers: '1.0.0' }, 400, /must start with an ASCII letter/],
    ['a name with a dot', { name: 'a.b', vers: '1.0.0' }, 400, /invalid character `\.`/],
    ['a 65-character name', { name: `a${'b'.repeat(64)}`, vers: '1.0.0' }, 400, /too long/],
    ['a reserved name', { name: 'std', vers: '1.0.0' }, 400, /reserved/],
    ['a Windows device name', { name: 'Com1', vers: '1.0.0' }, 400, /reserved/],
    ['a non-semver version', { name: 'v', vers: '1.0' }, 400, /semver/],
    ['a version over 150 characters', { name: 'v', vers: `1.0.0-${'a'.repeat(150)}` }, 400, /too long/],
    ['a bad requirement', { name: 'r', vers: '1.0.0', deps: [{ name: 'good', version_req: '>= 1 < 2', features: [], optional: false, default_features: true, target: null, kind: 'normal' }] }, 400, /version_req/],
    ['a dependency on an unknown crate', { name: 'r', vers: '1.0.0', deps: [{ name: 'nope', version_req: '^1', features: [], optional: false, default_features: true, target: null, kind: 'normal' }] }, 400, /no crate named `nope`/],
    ['101 keywords', { name: 'k', vers: '1.0.0', keywords: Array.from({ length: 101 }, (_, i) => `k${i}`) }, 400, /keywords/],
    ['a Cargo.toml for another crate', { name: 'm', vers: '1.0.0', manifest: '[package]\nname = "other"\nversion = "1.0.0"\n' }, 400, /name in Cargo.toml/],
    ['a Cargo.toml with another version', { name: 'm', vers: '1.0.0', manifest: '[package]\nname = "m"\nversion = "1.0.1"\n' }, 400, /version/],
  ];

  it.each(rejections)('refuses %s', async (_label, spec, status, pattern) => {
    const before = await stored();
    const res = await put(await publishBody(spec));
    expect(res.statusCode).toBe(status);
    expect(detail(res)).toMatch(pattern);
    expect(await stored()).toEqual(before);
  });

  it('refuses a version that exists, ignoring build metadata', async () => {
    const res = await put(await publishBody({ name: 'good', vers: '1.0.0+other' }));
    expect(res.statusCode).toBe(409);
    expect(detail(res)).toBe('crate version `good@1.0.0` already exists');
  });

  it.each([['GOOD', 'good'], ['Snake-Case', 'snake_case']])(
    'refuses a new crate `%s` that collides with `%s` after case and -/_ folding',
    async (lookalike, existing) => {
      if (existing !== 'good') expect((await put(await publishBody({ name: existing, vers: '1.0.0' }))).statusCode).toBe(200);
      const res = await put(await publishBody({ name: lookalike, vers: '2.0.0' }));
      expect(detail(res)).toBe(`a crate named \`${existing}\` already exists; \`${lookalike}\` differs only in case or in \`-\`/\`_\``);
      expect(res.statusCode).toBe(409);
    },
  );

  it('refuses a .crate over the size limit with 413 and the limit in the detail, storing nothing', async () => {
    const before = await stored();
    const big = await crateTarball({ name: 'big', vers: '1.0.0', files: { 'blob.bin': require_random(200 * 1024) } });
    const res = await put(publishFrame(JSON.stringify(metadataFor({ name: 'big', vers: '1.0.0' })), big));
    expect(res.statusCode).toBe(413);
    expect(detail(res)).toContain('over the limit of 64 KB (65536 bytes) for this crate');
    expect(await stored()).toEqual(before);
  });

  it('refuses metadata over 1 MB with 413', async () => {
    const header = Buffer.alloc(4);
    header.writeUInt32LE(1024 * 1024 + 1);
    const res = await put(Buffer.concat([header, Buffer.alloc(100)]));
    expect(res.statusCode).toBe(413);
    expect(detail(res)).toContain('metadata');
  });

  it('refuses bodies whose lengths do not match', async () => {
    const body = await publishBody({ name: 'short', vers: '1.0.0' });
    const truncated = await put(body.subarray(0, body.length - 10));
    expect(truncated.statusCode).toBe(400);
    expect(detail(truncated)).toContain('shorter than its declared lengths');
    const longer = await put(Buffer.concat([body, Buffer.from('extra')]));
    expect(longer.statusCode).toBe(400);
    expect(detail(longer)).toContain('longer than its declared lengths');
    expect((await put(Buffer.alloc(0))).statusCode).toBe(400);
  });

  it('refuses metadata that is not JSON or not UTF-8', async () => {
    const crate = await crateTarball({ name: 'j', vers: '1.0.0' });
    const notJson = await put(publishFrame('{"name": ', crate));
    expect(notJson.statusCode).toBe(400);
    expect(detail(notJson)).toContain('not valid JSON');
    const notUtf8 = await put(publishFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), crate));
    expect(detail(notUtf8)).toContain('UTF-8');
  });

  it('refuses a tarball that is not gzip', async () => {
    const res = await put(publishFrame(JSON.stringify(metadataFor({ name: 'g', vers: '1.0.0' })), Buffer.from('not gzip at all')));
    expect(res.statusCode).toBe(400);
    expect(detail(res)).toMatch(/gzip/);
  });

  it('refuses a gzip bomb without storing it', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const t2 = await createTestApp({ maxCrateSize: 2 * 1024 * 1024, maxUnpackedSize: 1024 * 1024 });
    try {
      const tok = (await t2.userWithToken('eve')).token;
      const res = await t2.app.inject({
        method: 'PUT',
        url: '/api/v1/crates/new',
        payload: publishFrame(JSON.stringify(metadataFor({ name: 'bomb', vers: '1.0.0' })), bomb),
        headers: { authorization: tok },
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(detail(res)).toMatch(/unpack|size|limit/i);
    } finally {
      await t2.close();
    }
  });
});

function require_random(n: number): string {
  let s = '';
  while (s.length < n) s += Math.random().toString(36).slice(2);
  return s.slice(0, n);
}
