import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOGIN_LIMITS } from '../../src/services/login-throttle.js';
import { publishBody } from '../helpers/crate-builder.js';
import { dropRedisPrefix, REDIS_URL, skipRedisTests, uniqueRedisPrefix } from '../helpers/shared-stores.js';
import { onPostgres } from '../helpers/test-db.js';
import { csrfOf } from '../helpers/web.js';
import { startInstances, type WharfServer } from '../helpers/wharf-process.js';

const skipRedis = await skipRedisTests();

/** Sign-up attempts one address may make in an hour (http/web/web.plugin.ts). */
const SIGNUPS_PER_HOUR = 10;
/** The new-crate limit the three instances run with: a burst of this many, then one per hour. */
const NEW_CRATES_BURST = 4;

/** Gets the form page from `base` (its CSRF cookie and field) and posts `fields` to the same instance. */
async function postForm(base: string, page: string, fields: Record<string, string>): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const form = await fetch(`${base}${page}`, { headers: { accept: 'text/html' } });
  const cookie = form.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const res = await fetch(`${base}${page}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { accept: 'text/html', cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfOf(await form.text()), ...fields }).toString(),
  });
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
}

const modes = [
  { label: `in the ${onPostgres ? 'PostgreSQL database' : 'SQLite file'}`, redis: false, skip: false },
  { label: 'in Redis (redis_url)', redis: true, skip: skipRedis },
];

/**
 * Three `wharf serve` processes on one database (PostgreSQL on the PostgreSQL run, one SQLite file
 * otherwise), each request sent to the next instance in turn: every limit holds for the registry
 * as a whole, the (limit+1)-th attempt is refused whichever instance it reaches.
 */
for (const mode of modes) {
  describe.skipIf(mode.skip)(`three Wharf instances counting their limits ${mode.label}`, () => {
    let dataDir: string;
    const servers: WharfServer[] = [];
    const urls: string[] = [];
    const redisPrefix = uniqueRedisPrefix();
    let token: string;
    /** The instance for the i-th attempt: round-robin, like a balancer. */
    const instance = (i: number) => urls[i % urls.length]!;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'wharf-shared-'));
      const env: Record<string, string> = {
        WHARF_DATA_DIR: dataDir,
        WHARF_ALLOW_SIGNUP: 'true',
        WHARF_RATE_LIMIT_NEW_CRATES: `1 per hour, burst ${NEW_CRATES_BURST}`,
        WHARF_LOG_LEVEL: 'warn',
        ...(mode.redis ? { WHARF_REDIS_URL: REDIS_URL, WHARF_REDIS_PREFIX: redisPrefix } : {}),
      };
      const started = await startInstances(env, 3, 'publisher');
      servers.push(...started.servers);
      urls.push(...started.urls);
      token = started.token;
    }, 90_000);

    afterAll(async () => {
      for (const s of servers) expect(await s.stop()).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
      if (mode.redis) await dropRedisPrefix(redisPrefix);
    });

    it('refuses the new crate past the burst, whichever instance it reaches', async () => {
      const statuses: number[] = [];
      let refusal = '';
      for (let i = 0; i <= NEW_CRATES_BURST; i++) {
        const res = await fetch(`${instance(i)}/api/v1/crates/new`, {
          method: 'PUT',
          headers: { authorization: token },
          body: new Uint8Array(await publishBody({ name: `spread-${i}`, vers: '1.0.0' })),
        });
        statuses.push(res.status);
        if (res.status === 429) refusal = ((await res.json()) as { errors: Array<{ detail: string }> }).errors[0]!.detail;
        else await res.arrayBuffer();
      }
      expect(statuses).toEqual([...Array<number>(NEW_CRATES_BURST).fill(200), 429]);
      expect(refusal).toMatch(/^you have done too many new crates in a short time \(this registry allows 1 per hour, burst 4\); try again in \d+ minutes/);
    }, 60_000);

    it(`lets exactly ${SIGNUPS_PER_HOUR} of many sign-up attempts sent at once to the three through, and refuses the rest`, async () => {
      const attempts = 3 * SIGNUPS_PER_HOUR;
      // A mismatched repetition is refused (400) after the attempt was counted: no account, no hash.
      const answers = await Promise.all(
        Array.from({ length: attempts }, (_, i) =>
          postForm(instance(i), '/signup', { login: `newcomer${i}`, email: '', password: 'a long enough password', confirm: 'another one' }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 400)).toHaveLength(SIGNUPS_PER_HOUR);
      expect(statuses.filter((s) => s === 429)).toHaveLength(attempts - SIGNUPS_PER_HOUR);
      const refused = answers.find((a) => a.status === 429)!;
      expect(refused.body).toContain('too many sign-ups from your address; try again in 60 minutes');
      expect(Number(refused.retryAfter)).toBeGreaterThan(59 * 60);
      // And one more, on its own, is refused too.
      expect((await postForm(instance(0), '/signup', { login: 'late', email: '', password: 'x', confirm: 'y' })).status).toBe(429);
    }, 60_000);

    it(`allows ${DEFAULT_LOGIN_LIMITS.failuresPerAddress} failed sign-ins from one address across the three, then 429`, async () => {
      const limit = DEFAULT_LOGIN_LIMITS.failuresPerAddress;
      const statuses: number[] = [];
      for (let i = 0; i <= limit; i++) {
        // A different account each time: only the address's own count can stop the last one.
        const res = await postForm(instance(i), '/login', { login: `guess${i}`, password: 'not the password', next: '/me' });
        statuses.push(res.status);
        if (i === limit) expect(res.body).toContain('too many failed sign-ins from your address; try again in 15 minutes');
      }
      expect(statuses).toEqual([...Array<number>(limit).fill(401), 429]);
    }, 120_000);
  });
}
