import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeOidcProvider, type Misbehaviour } from '../../../helpers/oidc-fake-provider.js';
import { throughProvider } from '../../../helpers/oidc-provider.js';
import { parseHtml, textOf } from '../../../helpers/html-dom.js';
import { createWebApp, type WebTestApp } from '../../../helpers/web.js';

const PUBLIC = 'http://wharf.test';

describe('ID tokens that must be refused', () => {
  let op: FakeOidcProvider;
  let t: WebTestApp;

  beforeAll(async () => {
    op = await FakeOidcProvider.start('wharf');
  });
  afterAll(async () => op.close());
  afterEach(async () => t.close());

  const attempt = async (misbehave: Misbehaviour) => {
    t = await createWebApp({ oidcIssuer: op.issuer, oidcClientId: 'wharf', oidcClientSecret: 'secret', oidcAutoCreate: true });
    op.misbehave = misbehave;
    const b = t.browser();
    const res = await throughProvider(b, await b.get('/login/oidc'), PUBLIC);
    return { res, b, text: textOf(parseHtml(res.body)) };
  };

  it('accepts a well-made one (the control)', async () => {
    const { res, b } = await attempt('none');
    expect(res.statusCode).toBe(303);
    expect(b.session).toBeDefined();
  });

  it.each([
    ['wrong-nonce', /nonce/],
    ['expired', /exp/],
  ] as const)('refuses %s with a clear page and no session', async (misbehave, reason) => {
    const { res, b, text } = await attempt(misbehave);
    expect(res.statusCode).toBe(401);
    expect(text).toContain('the answer of the identity provider is not valid');
    expect(text).toMatch(reason);
    expect(b.session).toBeUndefined();
    expect(await t.runtime.ctx.db.selectFrom('users').selectAll().execute()).toHaveLength(0);
    expect(t.logs.join('')).toContain('single sign-on refused');
  });

  it('refuses a token signed by a key the provider does not publish, after reading its key set again', async () => {
    const before = op.jwksReads;
    const { res, b } = await attempt('unknown-key');
    expect(res.statusCode).toBe(401);
    expect(b.session).toBeUndefined();
    expect(op.jwksReads).toBeGreaterThan(before);
  });

  it('answers a token endpoint that sends too much with a 502 page', async () => {
    const { res, text } = await attempt('huge');
    expect(res.statusCode).toBe(502);
    expect(text).toContain('more than');
  });
});
