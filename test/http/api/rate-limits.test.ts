import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { parseRateLimit } from '../../../src/config/rate-limits.js';
import { crateTarball, metadataFor, publishBody, publishFrame } from '../../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const detail = (res: { json(): unknown }) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';

async function withApp(overrides: Parameters<typeof createTestApp>[0], run: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await createTestApp({ logLevel: 'warn', ...overrides });
  try {
    await run(t);
  } finally {
    await t.close();
  }
}

const publish = (t: TestApp, token: string, name: string, vers: string) =>
  publishBody({ name, vers }).then((payload) => t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload, headers: { authorization: token } }));

describe('publish rate limits', () => {
  it('parses limits and presets, and refuses bad ones at start', () => {
    expect(parseRateLimit('1 per 10 minutes, burst 5')).toEqual({ burst: 5, intervalMs: 600_000, text: '1 per 10 minutes, burst 5' });
    expect(parseRateLimit('30 per second')).toEqual({ burst: 30, intervalMs: 1000 / 30, text: '30 per second, burst 30' });
    expect(parseRateLimit('off')).toBeNull();
    expect(() => parseRateLimit('5 per 10ms')).toThrow(/must look like/);
    const preset = loadConfig({ WHARF_RATE_LIMIT_PRESET: 'crates-io' }, { dataDir: '/tmp/x' });
    expect([preset.rateLimitNewCrates?.text, preset.rateLimitNewVersions?.text]).toEqual(['1 per 10 minutes, burst 5', '1 per minute, burst 30']);
    const overridden = loadConfig({ WHARF_RATE_LIMIT_PRESET: 'crates-io', WHARF_RATE_LIMIT_NEW_CRATES: 'off' }, { dataDir: '/tmp/x' });
    expect(overridden.rateLimitNewCrates).toBeNull();
    expect(() => loadConfig({ WHARF_RATE_LIMIT_PRESET: 'strict', WHARF_RATE_LIMIT_YANKS: 'lots' }, { dataDir: '/tmp/x' })).toThrow(
      /WHARF_RATE_LIMIT_PRESET[\s\S]*WHARF_RATE_LIMIT_YANKS/,
    );
  });

  it("with crates.io's preset, the sixth new crate in a row gets 429 with Retry-After and when to retry", async () => {
    await withApp({ rateLimitPreset: 'crates-io' }, async (t) => {
      const { token } = await t.userWithToken('alice');
      for (let i = 0; i < 5; i++) expect((await publish(t, token, `burst-${i}`, '1.0.0')).statusCode).toBe(200);
      const refused = await publish(t, token, 'burst-5', '1.0.0');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('600');
      expect(detail(refused)).toMatch(/too many new crates .*1 per 10 minutes, burst 5.*try again in 10 minutes \(after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)/);
      expect(await t.runtime.ctx.db.selectFrom('crates').select('name').where('name', '=', 'burst-5').executeTakeFirst()).toBeUndefined();
      // New versions of existing crates have their own allowance.
      expect((await publish(t, token, 'burst-0', '1.0.1')).statusCode).toBe(200);
      t.clock.advance(10 * 60_000);
      expect((await publish(t, token, 'burst-5', '1.0.0')).statusCode).toBe(200);
      expect((await publish(t, token, 'burst-6', '1.0.0')).statusCode).toBe(429);
    });
  });

  it('limits new versions and yanks per user, and never administrators', async () => {
    const strict = { rateLimitNewVersions: parseRateLimit('1 per minute, burst 2'), rateLimitYanks: parseRateLimit('1 per hour, burst 2') };
    await withApp(strict, async (t) => {
      const { token } = await t.userWithToken('bob');
      const { token: other } = await t.userWithToken('carol');
      const { token: admin } = await t.userWithToken('root', { admin: true });
      expect((await publish(t, token, 'versions', '1.0.0')).statusCode).toBe(200);
      expect((await publish(t, token, 'versions', '1.0.1')).statusCode).toBe(200);
      expect((await publish(t, token, 'versions', '1.0.2')).statusCode).toBe(200);
      const refused = await publish(t, token, 'versions', '1.0.3');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('60');
      expect(detail(refused)).toContain('try again in 60 seconds');
      // Another user's allowance is untouched.
      expect((await publish(t, other, 'others', '1.0.0')).statusCode).toBe(200);
      expect((await publish(t, other, 'others', '1.0.1')).statusCode).toBe(200);

      const yank = (tok: string, v: string, how: 'yank' | 'unyank' = 'yank') =>
        t.app.inject({ method: how === 'yank' ? 'DELETE' : 'PUT', url: `/api/v1/crates/versions/${v}/${how}`, headers: { authorization: tok } });
      expect((await yank(token, '1.0.0')).statusCode).toBe(200);
      expect((await yank(token, '1.0.0', 'unyank')).statusCode).toBe(200);
      const tooMany = await yank(token, '1.0.1');
      expect(tooMany.statusCode).toBe(429);
      expect(Number(tooMany.headers['retry-after'])).toBeGreaterThan(1700);
      expect(detail(tooMany)).toContain('yanks');

      for (let i = 0; i < 8; i++) expect((await publish(t, admin, 'admin-crate', `1.0.${i}`)).statusCode).toBe(200);
      await t.runtime.ctx.db.insertInto('crate_owners').values({ crate_id: (await t.runtime.ctx.db.selectFrom('crates').select('id').where('name', '=', 'versions').executeTakeFirstOrThrow()).id, user_id: (await t.runtime.ctx.db.selectFrom('users').select('id').where('login', '=', 'root').executeTakeFirstOrThrow()).id, created_at: new Date().toISOString(), created_by: null }).execute();
      for (let i = 0; i < 5; i++) expect((await yank(admin, '1.0.1', i % 2 === 0 ? 'yank' : 'unyank')).statusCode).toBe(200);
    });
  });

  it('charges nothing for a refused upload', async () => {
    await withApp({ rateLimitNewCrates: parseRateLimit('1 per hour, burst 1') }, async (t) => {
      const { token } = await t.userWithToken('dave');
      const bad = publishFrame(JSON.stringify(metadataFor({ name: 'refund', vers: '1.0.0' })), await crateTarball({ name: 'refund', vers: '1.0.0', manifest: '[package]\nname = "other"\nversion = "1.0.0"\n' }));
      for (let i = 0; i < 3; i++) {
        expect((await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: bad, headers: { authorization: token } })).statusCode).toBe(400);
      }
      expect((await publish(t, token, 'refund', '1.0.0')).statusCode).toBe(200);
      expect((await publish(t, token, 'refund-2', '1.0.0')).statusCode).toBe(429);
    });
  });

  it('by default lets a workspace of 100 new crates and a bulk import of 300 versions through', async () => {
    await withApp({}, async (t) => {
      const { token } = await t.userWithToken('team');
      for (let i = 0; i < 100; i++) expect((await publish(t, token, `ws-member-${i}`, '0.1.0')).statusCode).toBe(200);
      for (let i = 0; i < 300; i++) expect((await publish(t, token, `ws-member-${i % 100}`, `0.2.${i}`)).statusCode).toBe(200);
    });
  }, 120_000);

  it('never rate-limits failed tokens: each gets its 401', async () => {
    await withApp({ rateLimitPreset: 'crates-io' }, async (t) => {
      const payload = await publishBody({ name: 'nope', vers: '1.0.0' });
      const statuses = new Set<number>();
      for (let i = 0; i < 50; i++) {
        const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload, headers: { authorization: `wharf_${'x'.repeat(38)}` } });
        statuses.add(res.statusCode);
      }
      expect([...statuses]).toEqual([401]);
    });
  });
});
