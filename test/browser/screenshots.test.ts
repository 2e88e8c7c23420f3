import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/account.service.js';
import { setPasswordHashCost } from '../../src/services/password.service.js';
import { startLiveServer } from '../helpers/live-server.js';
import { FAST_SCRYPT } from '../helpers/web.js';

/**
 * Not a check: pictures of the main pages for a reviewer, in both schemes and at phone and
 * desktop widths. Runs only through `npm run screenshots` (scripts/screenshots.mjs), which sets
 * WHARF_SCREENSHOTS to the folder to write.
 */
const OUT = process.env.WHARF_SCREENSHOTS;
const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'reviewer has a long passphrase';

const README = `# Harbour tools

Tools for **harbours**: moorings, tides and cranes.

\`\`\`rust
let tide = harbour_tools::Tide::at("2026-06-01T12:00:00Z").expect("a tide table for this harbour and this day of the year");
\`\`\`

| Crane | Lift | Reach | Notes |
|---|---|---|---|
| north | 40 t | 35 m | overhauled in 2025 |
| south | 25 t | 28 m | night shifts only |
`;

describe.runIf(OUT !== undefined && existsSync(CHROMIUM))('screenshots for review', () => {
  it('writes the main pages in light and dark, at 390 and 1280 px', async () => {
    const out = OUT!;
    mkdirSync(out, { recursive: true });
    setPasswordHashCost(FAST_SCRYPT);
    const server = await startLiveServer();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const ctx = server.runtime.ctx;
      const root = await createAccount(ctx, { login: 'reviewer', name: 'A Reviewer', password: PASSWORD, isAdmin: true }, { actor: null, via: 'test' });
      const { token } = await server.tokenFor(root.id, { name: 'laptop' });
      await server.tokenFor(root.id, { name: 'CI of harbour-tools' });
      await server.publish(token, { name: 'tide-tables', vers: '1.2.0', description: 'Tide tables for harbours', keywords: ['tide'] });
      const dep = { name: 'tide-tables', version_req: '^1.2', features: [], optional: false, default_features: true, target: null, kind: 'normal' };
      for (const vers of ['0.9.0', '1.0.0', '1.1.0']) {
        await server.publish(token, { name: 'harbour-tools', vers, description: 'Tools for harbours: moorings, tides and cranes', keywords: ['harbour', 'tide'], readme: README, deps: [dep] });
      }
      const versions = await ctx.db.selectFrom('versions').select(['id']).execute();
      const now = ctx.clock.now().getTime();
      const rows = versions.flatMap((v, i) => Array.from({ length: 60 }, (_, d) => ({ version_id: v.id, date: new Date(now - d * 86_400_000).toISOString().slice(0, 10), downloads: ((d * 7 + i * 13) % 17) + i * 3 })));
      await ctx.db.insertInto('version_downloads').values(rows).execute();
      await ctx.db.updateTable('crates').set({ downloads: 1200 }).execute();

      const shots: Array<[string, string]> = [
        ['home', '/'],
        ['search', '/search?q=harbour'],
        ['crate', '/crates/harbour-tools'],
        ['version', '/crates/harbour-tools/1.0.0'],
        ['me', '/me'],
        ['admin-audit', '/admin/audit'],
      ];
      let written = 0;
      for (const scheme of ['light', 'dark'] as const) {
        for (const width of [390, 1280]) {
          const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
          const page = await context.newPage();
          await page.goto(`${server.url}/login`);
          await page.getByLabel('Login').fill('reviewer');
          await page.getByLabel('Password').fill(PASSWORD);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.waitForURL(`${server.url}/me`);
          for (const [name, path] of shots) {
            await page.goto(`${server.url}${path}`);
            await page.screenshot({ path: join(out, `${name}-${width}-${scheme}.png`), fullPage: true });
            written++;
          }
          await context.close();
        }
      }
      console.log(`wrote ${written} screenshots to ${out}`);
      expect(written).toBe(shots.length * 4);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 300_000);
});
