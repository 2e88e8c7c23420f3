import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { createWebApp, PASSWORD, type WebTestApp } from '../helpers/web.js';

/**
 * With `redis_url` set and Redis gone, the limits kept there cannot be checked: sign-in, sign-up
 * and publishes are refused with 503 and a detail (fail closed, never a limit skipped), while
 * everything that needs no limit (reads of the index, pages) goes on.
 */
describe('a registry whose Redis (redis_url) does not answer', () => {
  let t: WebTestApp;
  beforeAll(async () => {
    t = await createWebApp({ redisUrl: `redis://127.0.0.1:${await freePort()}`, allowSignup: true, logLevel: 'warn' });
    await t.account('alice');
  });
  afterAll(() => t.close());

  it('answers a sign-in and a sign-up 503 with Retry-After and says why, and logs it', async () => {
    const signIn = await t.browser().login('alice', PASSWORD);
    expect(signIn.statusCode).toBe(503);
    expect(signIn.headers['retry-after']).toBe('5');
    expect(signIn.body).toContain('the registry cannot check its limits right now (its Redis server does not answer)');
    expect(signIn.headers['set-cookie'] ?? '').not.toMatch(/wharf_session=[^;]/);
    const b = t.browser();
    const signUp = await b.submit('/signup', '/signup', { login: 'bob', email: '', password: PASSWORD, confirm: PASSWORD });
    expect(signUp.statusCode).toBe(503);
    expect(t.logs.join('')).toContain('Redis (redis_url) failed');
  });

  it('answers a publish 503 in the API envelope, and still serves what needs no limit', async () => {
    const { token } = await t.userWithToken('publisher');
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'held', vers: '1.0.0' }), headers: { authorization: token } });
    expect(res.statusCode).toBe(503);
    expect((res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail).toMatch(/cannot check its limits right now/);
    expect((await t.app.inject({ method: 'GET', url: '/index/config.json' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/crates/held' })).statusCode).toBe(404);
  });
});
