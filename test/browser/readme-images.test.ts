import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';

const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** A 1x1 PNG and a 90x20 SVG badge, as an image host would serve them. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="90" height="20"><rect width="90" height="20" fill="#4c1"/><text x="5" y="14" style="font: 11px sans-serif">build</text></svg>';

/** README badges in Chromium: the page's CSP allows images from Wharf only, so they must come through /img/. */
describe.skipIf(!existsSync(CHROMIUM))('README images in a real browser', () => {
  let server: LiveServer;
  let images: Server;
  let browser: Browser;
  const problems: string[] = [];
  let imageHits = 0;

  beforeAll(async () => {
    images = createServer((req, res) => {
      imageHits += 1;
      if (req.url === '/badge.svg') res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
      else if (req.url === '/dot.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    const address = images.address();
    const host = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    server = await startLiveServer({ imageProxyAllowPrivate: true });
    const { token } = await server.userWithToken('alice');
    await server.publish(token, { name: 'badged', vers: '1.0.0', readme: `# Badged\n\n[![build](${host}/badge.svg)](https://ci.example/) ![dot](${host}/dot.png)\n` });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    images?.closeAllConnections();
    await new Promise((resolve) => images?.close(resolve));
  });

  it('loads the badges through the image proxy', async () => {
    const page = await browser.newPage();
    // CSP violations and failed loads, but for the favicon the browser asks for on its own.
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && problems.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && problems.push(`${r.status()} ${r.url()}`));
    await page.goto(`${server.url}/crates/badged`);
    const loaded = page.locator('.readme img');
    expect(await loaded.count()).toBe(2);
    // Each image has finished loading (or failed) once `complete` is true.
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.readme img')].every((img) => img.complete));
    const shown = await loaded.evaluateAll((imgs) => (imgs as HTMLImageElement[]).map((img) => ({ src: img.getAttribute('src'), width: img.naturalWidth })));
    expect(shown).toEqual([
      { src: expect.stringMatching(/^\/img\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/), width: 90 },
      { src: expect.stringMatching(/^\/img\//), width: 1 },
    ]);
    expect(imageHits).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
