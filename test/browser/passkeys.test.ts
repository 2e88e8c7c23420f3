import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/account.service.js';
import { setPasswordHashCost } from '../../src/services/password.service.js';
import { startRuntime } from '../../src/services/runtime.js';
import { freePort } from '../helpers/live-server.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { FAST_SCRYPT } from '../helpers/web.js';

/**
 * Passkeys in Debian's chromium with its virtual authenticator (the DevTools WebAuthn domain):
 * register two, rename and remove one, sign in with a passkey alone (usernameless), and as the
 * second factor after the password. The registry is at http://localhost: WebAuthn refuses an IP
 * address as relying party id.
 */
const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`[browser tests] skipped: ${CHROMIUM} is missing`);

describe.skipIf(!available)('passkeys in a real browser', () => {
  let server: TestApp;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  const problems: string[] = [];
  /** Answers of 400 and above to any request of the pages (the scripts' calls included). */
  const failed: string[] = [];
  const PASSWORD = 'alice has a long passphrase';

  beforeAll(async () => {
    setPasswordHashCost(FAST_SCRYPT);
    const port = await freePort();
    url = `http://localhost:${port}`;
    server = await createTestApp({ host: '127.0.0.1', port, publicUrl: url });
    await startRuntime(server.runtime);
    await server.app.listen({ host: '127.0.0.1', port });
    await createAccount(server.runtime.ctx, { login: 'alice', password: PASSWORD }, { actor: null, via: 'test' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const added = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    authenticatorId = added.authenticatorId;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const logins = async () =>
    (await server.runtime.ctx.db.selectFrom('audit_log').select('detail').where('action', '=', 'user.login').orderBy('id').execute()).map((r) => JSON.parse(r.detail!).via as string);
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/`);
  };
  const signInWithPassword = async () => {
    await page.goto(`${url}/login`);
    await page.getByLabel('Login').fill('alice');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };

  it('registers passkeys on /me/two-factor, showing the recovery codes once', async () => {
    await signInWithPassword();
    await page.waitForURL(`${url}/me`);
    await page.getByRole('link', { name: 'Two-factor authentication' }).click();
    await page.getByLabel('Name of the new passkey').fill('laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#new-recovery-codes-panel').waitFor({ state: 'visible' });
    expect(await page.locator('#new-recovery-codes li').count()).toBe(10);
    expect(await page.locator('#new-recovery-codes li').first().textContent()).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);

    // A second one (the authenticator makes a new credential: the first is excluded by id only per authenticator,
    // so this one comes from a second virtual authenticator).
    const second = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    await page.goto(`${url}/me/two-factor`);
    await page.getByLabel('Name of the new passkey').fill('blue key');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(`${url}/me/two-factor?notice=passkey-added`);
    expect(await page.locator('tbody tr').count()).toBe(2);
    // Renamed, then removed.
    await page.getByLabel('New name').nth(1).fill('old key');
    await page.getByRole('button', { name: 'Rename the passkey blue key' }).click();
    await page.waitForURL(`${url}/me/two-factor?notice=passkey-renamed`);
    await page.getByRole('button', { name: 'Remove the passkey old key' }).click();
    await page.waitForURL(`${url}/me/two-factor?notice=passkey-removed`);
    expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['laptop']);
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: second.authenticatorId });
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    const audit = await server.runtime.ctx.db.selectFrom('audit_log').select(['action', 'detail']).where('action', 'in', ['user.factor_add', 'user.factor_remove']).orderBy('id').execute();
    expect(audit.map((a) => `${a.action} ${JSON.parse(a.detail!).method} ${JSON.parse(a.detail!).name}`)).toEqual([
      'user.factor_add passkey laptop',
      'user.factor_add passkey blue key',
      'user.factor_remove passkey old key',
    ]);
    await signOut();
  }, 90_000);

  it('signs in with a passkey alone, no login typed (a discoverable credential)', async () => {
    await page.goto(`${url}/login`);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(`${url}/me`);
    expect(await page.locator('main p').first().textContent()).toMatch(/^Signed in as alice\./);
    expect((await logins()).at(-1)).toBe('passkey');
    await signOut();
  }, 60_000);

  it('asks for the passkey after the password, and starts the session only then', async () => {
    await signInWithPassword();
    await page.waitForURL(`${url}/login/two-factor`);
    expect(await page.locator('h1').textContent()).toBe('Second factor');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(`${url}/me`);
    expect((await logins()).at(-1)).toBe('password+passkey');
  }, 60_000);

  it('confirms a sensitive form with the passkey instead of the password', async () => {
    server.clock.advance(30 * 60_000);
    await page.goto(`${url}/confirm-password?next=%2Fme%2Ftwo-factor`);
    await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
    await page.waitForURL(`${url}/me/two-factor`);
    // The window is open: adding a passkey is offered without a password.
    expect(await page.getByLabel('Name of the new passkey').count()).toBe(1);
    // No script error and no refused call: only the browser's own favicon request found nothing.
    expect(failed.filter((f) => f !== '404 /favicon.ico')).toEqual([]);
    expect(problems.filter((p) => !/Failed to load resource: the server responded with a status of 404/.test(p))).toEqual([]);
  }, 60_000);
});
