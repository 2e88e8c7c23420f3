import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSso } from '../../../../src/services/identity/sso.js';
import { syncOidcIdentities } from '../../../../src/services/identity/oidc-sync.service.js';
import { CLIENT_ID, CLIENT_SECRET, TestOidcProvider, throughProvider } from '../../../helpers/oidc-provider.js';
import { createWebApp, type WebTestApp } from '../../../helpers/web.js';

const PUBLIC = 'http://wharf.test';

describe('wharf user sync-oidc', () => {
  let op: TestOidcProvider;
  let t: WebTestApp;

  beforeAll(async () => {
    op = await TestOidcProvider.start(`${PUBLIC}/login/oidc/callback`);
  });
  afterAll(async () => op.close());
  afterEach(async () => t.close());

  it('locks the accounts the provider no longer allows or knows, keeps the others, and the locks take effect at once', async () => {
    t = await createWebApp({ oidcIssuer: op.issuer, oidcClientId: CLIENT_ID, oidcClientSecret: CLIENT_SECRET, oidcAllowedGroups: ['staff'] });
    const sessions = new Map<string, ReturnType<WebTestApp['browser']>>();
    for (const who of ['stays', 'moved', 'gone']) {
      op.people.set(`sub-${who}`, { preferred_username: who, groups: ['staff'] });
      op.nextLogin = `sub-${who}`;
      const b = t.browser();
      await throughProvider(b, await b.get('/login/oidc'), PUBLIC);
      sessions.set(who, b);
    }
    const movedId = (await t.runtime.ctx.db.selectFrom('users').select('id').where('login', '=', 'moved').executeTakeFirstOrThrow()).id;
    const token = await t.tokenFor(movedId);
    op.people.set('sub-moved', { preferred_username: 'moved', groups: ['sales'] });
    op.people.delete('sub-gone');

    const outcomes = await syncOidcIdentities(t.runtime.ctx, createSso(t.runtime.ctx)!);
    expect(outcomes.map((o) => [o.login, o.result])).toEqual([
      ['stays', 'ok'],
      ['moved', 'locked'],
      ['gone', 'locked'],
    ]);
    const locked = await t.runtime.ctx.db.selectFrom('users').select(['login', 'locked_at']).orderBy('id').execute();
    expect(locked.map((u) => u.locked_at !== null)).toEqual([false, true, true]);
    expect((await sessions.get('moved')!.get('/me')).statusCode).toBe(303);
    expect((await sessions.get('stays')!.get('/me')).statusCode).toBe(200);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: token.token } });
    expect(api.statusCode).toBe(403);
  });
});
