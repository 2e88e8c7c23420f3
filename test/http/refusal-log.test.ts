import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeToken } from '../../src/services/token.service.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** The log lines of one request, parsed. */
const linesOf = (t: TestApp, from: number) =>
  t.logs
    .slice(from)
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('refused credentials and events in the log', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const yank = (token: string) => t.app.inject({ method: 'DELETE', url: '/api/v1/crates/demo/1.0.0/yank', headers: token ? { authorization: token } : {} });

  it('says why a token was refused, without the token', async () => {
    const owner = await t.userWithToken('ann');
    await t.publish(owner.token, { name: 'demo', vers: '1.0.0' });
    const revoked = await t.tokenFor(owner.userId);
    await revokeToken(t.runtime.ctx, { actor: null }, revoked.tokenId, 'test', owner.userId);
    const expired = await t.tokenFor(owner.userId, { expiresInDays: 1 });
    const readOnly = await t.tokenFor(owner.userId, { scopes: ['publish-update'] });
    t.clock.advance(2 * 86_400_000);
    const cases: [string, string][] = [
      ['', 'missing'],
      ['wharf_notarealtoken', 'malformed'],
      [`wharf_${'A'.repeat(38)}`, 'malformed'],
      [revoked.token, 'revoked'],
      [expired.token, 'expired'],
      [readOnly.token, 'out_of_scope'],
    ];
    for (const [token, reason] of cases) {
      const from = t.logs.length;
      const res = await yank(token);
      expect(res.statusCode, reason).toBeGreaterThanOrEqual(400);
      const refused = linesOf(t, from).find((l) => l.msg === 'credential refused');
      expect(refused, reason).toMatchObject({ refusal: reason, status: res.statusCode });
      if (token) expect(t.logs.slice(from).join('')).not.toContain(token);
    }
    const from = t.logs.length;
    expect((await yank(owner.token)).statusCode).toBe(200);
    expect(linesOf(t, from).find((l) => l.event === 'crate.yank')).toMatchObject({ crate: 'demo', version: '1.0.0', user: 'ann' });
  });
});
