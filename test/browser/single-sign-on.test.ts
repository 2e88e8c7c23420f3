import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../src/services/runtime.js';
import { freePort } from '../helpers/live-server.js';
import { CLIENT_ID, CLIENT_SECRET, TestOidcProvider } from '../helpers/oidc-provider.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** A full sign-in with single sign-on in Debian's chromium: Wharf and a real provider, both on 127.0.0.1. */
const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('single sign-on in a real browser', () => {
  let op: TestOidcProvider;
  let wharf: TestApp;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    op = await TestOidcProvider.start(`${url}/login/oidc/callback`);
    op.people.set('sub-kim', { preferred_username: 'kim', email: 'kim@example.com', email_verified: true, groups: ['staff'] });
    wharf = await createTestApp({
      host: '127.0.0.1',
      port,
      publicUrl: url,
      oidcIssuer: op.issuer,
      oidcClientId: CLIENT_ID,
      oidcClientSecret: CLIENT_SECRET,
      oidcAllowedGroups: ['staff'],
      oidcName: 'Example SSO',
    });
    await startRuntime(wharf.runtime);
    await wharf.app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await wharf?.close();
    await op?.close();
  });

  it('signs in through the provider from the sign-in page and lands on /me with the new session listed', async () => {
    const page = await browser.newPage();
    op.nextLogin = 'sub-kim';
    await page.goto(`${url}/login`);
    await page.getByRole('link', { name: 'Sign in with Example SSO' }).click();
    await page.waitForURL(`${url}/me`);
    await expect(page.locator('main').textContent()).resolves.toContain('Signed in as kim');
    const sessions = await page.locator('ul.sessions').textContent();
    expect(sessions).toContain('with oidc');
    expect(sessions).toContain('this browser');
    const row = await wharf.runtime.ctx.db.selectFrom('users').selectAll().where('login', '=', 'kim').executeTakeFirstOrThrow();
    expect(row.email).toBe('kim@example.com');
  }, 60_000);
});
