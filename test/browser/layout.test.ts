import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DARK, LIGHT } from '../../src/http/web/assets/palette.js';
import { createAccount } from '../../src/services/account.service.js';
import { setPasswordHashCost } from '../../src/services/password.service.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { FAST_SCRYPT } from '../helpers/web.js';

/**
 * Every page at phone and desktop widths in Chromium: nothing scrolls sideways (wide code and
 * tables scroll inside their own box), the dark scheme follows the browser, and the keyboard
 * alone reaches search, the token form and revoking. (web-ui.test.ts has the launch notes.)
 */
const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';
const WIDTHS = [320, 390, 1280] as const;
const PASSWORD = 'alice has a long passphrase';

const LONG_README = [
  '# Wide things',
  '',
  '```rust',
  `let a_very_long_line = ${'"a string that goes on and on", '.repeat(20)};`,
  '```',
  '',
  `| ${Array.from({ length: 14 }, (_, i) => `column number ${i}`).join(' | ')} |`,
  `|${'---|'.repeat(14)}`,
  `| ${Array.from({ length: 14 }, (_, i) => `value_without_spaces_${i}`).join(' | ')} |`,
  '',
  `A word without a break: ${'x'.repeat(300)}.`,
  '',
].join('\n');

describe.skipIf(!existsSync(CHROMIUM))('page layout in a real browser', () => {
  let server: LiveServer;
  let browser: Browser;
  let page: Page;
  const pages = ['/', '/search?q=wide', '/crates', '/crates/wide-crate-with-a-rather-long-name', '/crates/wide-crate-with-a-rather-long-name/0.1.0', '/crates/base', '/users/alice', '/me', '/me/tokens/revoke-all', '/admin/users', '/admin/audit', '/admin/tokens'];

  beforeAll(async () => {
    setPasswordHashCost(FAST_SCRYPT);
    server = await startLiveServer();
    const ctx = server.runtime.ctx;
    const alice = await createAccount(ctx, { login: 'alice', name: 'Alice', password: PASSWORD, isAdmin: true }, { actor: null, via: 'test' });
    const { token } = await server.tokenFor(alice.id, { name: 'a token with a long name for a narrow table' });
    await server.tokenFor(alice.id, { name: 'ci' });
    await server.publish(token, { name: 'base', vers: '1.0.0', description: 'the base crate', keywords: ['base'] });
    const dep = { name: 'base', version_req: '^1', features: [], optional: false, default_features: true, target: null, kind: 'normal' };
    for (const vers of ['0.1.0', '0.2.0']) {
      await server.publish(token, { name: 'wide-crate-with-a-rather-long-name', vers, description: 'A crate whose README holds a long code line and a wide table', keywords: ['wide', 'layout'], readme: LONG_README, deps: [dep] });
    }
    const versions = await ctx.db.selectFrom('versions').select(['id']).execute();
    const today = ctx.clock.now().toISOString().slice(0, 10);
    await ctx.db.insertInto('version_downloads').values(versions.map((v, i) => ({ version_id: v.id, date: today, downloads: 3 + i }))).execute();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.goto(`${server.url}/login?next=${encodeURIComponent('/crates/base')}`);
    await page.getByLabel('Login').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Sign-in returns to the page that sent the user there.
    await page.waitForURL(`${server.url}/crates/base`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each(WIDTHS)('nothing scrolls sideways at %i px', async (width) => {
    await page.setViewportSize({ width, height: 800 });
    const wide: string[] = [];
    for (const path of pages) {
      const response = await page.goto(`${server.url}${path}`);
      expect(response?.status(), path).toBe(200);
      const { scroll, viewport } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
      if (scroll !== viewport) wide.push(`${path}: ${scroll} px wide in ${viewport}`);
    }
    expect(wide).toEqual([]);
  }, 120_000);

  it('keeps every column of the token table reachable on a phone, and the install box before the README', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${server.url}/me`);
    const revoke = page.getByRole('button', { name: 'Revoke the token ci' });
    await revoke.scrollIntoViewIfNeeded();
    expect(await revoke.isVisible()).toBe(true);
    await page.goto(`${server.url}/crates/wide-crate-with-a-rather-long-name`);
    const install = await page.locator('#cargo-add').boundingBox();
    const readme = await page.locator('.readme').boundingBox();
    expect(install!.y).toBeLessThan(readme!.y);
    // The cargo add line is one line, never wrapped mid-flag.
    const line = await page.locator('#cargo-add').evaluate((e) => e.getClientRects().length);
    expect(line).toBe(1);
    // At desktop width the details sit beside the README.
    await page.setViewportSize({ width: 1280, height: 800 });
    const side = await page.locator('aside').boundingBox();
    const main = await page.locator('.readme').boundingBox();
    expect(side!.x).toBeGreaterThan(main!.x);
    // The graph is drawn, one line per version.
    expect(await page.locator('svg.graph polyline').count()).toBe(2);
  }, 60_000);

  it('follows prefers-color-scheme', async () => {
    const colours = async () =>
      page.evaluate(() => {
        const s = getComputedStyle(document.documentElement);
        return { bg: s.backgroundColor, fg: s.color };
      });
    const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${server.url}/`);
    expect(await colours()).toEqual({ bg: rgb(LIGHT.bg), fg: rgb(LIGHT.fg) });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}/crates/base`);
    expect(await colours()).toEqual({ bg: rgb(DARK.bg), fg: rgb(DARK.fg) });
    await page.emulateMedia({ colorScheme: 'light' });
  }, 60_000);

  it('reaches search, the token form and revoking with the keyboard alone', async () => {
    await page.goto(`${server.url}/crates/base`);
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('q');
    await page.keyboard.type('wide');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=wide$/);
    await page.keyboard.press('s');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');

    await page.goto(`${server.url}/me`);
    const reached = new Set<string>();
    for (let i = 0; i < 80 && !(reached.has('token-name') && reached.has('Revoke the token ci')); i++) {
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('aria-label') || '');
      reached.add(label);
      if (label === 'Revoke the token ci') {
        await page.keyboard.press('Enter');
        await page.waitForURL(`${server.url}/me?notice=revoked`);
        break;
      }
    }
    expect(reached.has('Revoke the token ci')).toBe(true);
    await page.goto(`${server.url}/me`);
    let onName = false;
    for (let i = 0; i < 80 && !onName; i++) {
      await page.keyboard.press('Tab');
      onName = await page.evaluate(() => document.activeElement?.id === 'token-name');
    }
    expect(onName).toBe(true);
  }, 60_000);
});
