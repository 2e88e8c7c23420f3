import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImageUrl } from '../../../src/services/image-proxy/image-signer.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { createWebApp } from '../../helpers/web.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><script>alert(1)</script><rect width="20" height="10"/></svg>';

/** README images through /img/, against an image server on 127.0.0.1. */
describe('the image proxy', () => {
  let server: Server;
  let base = '';
  const hits = new Map<string, number>();
  const seenHeaders: IncomingMessage['headers'][] = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/badge.svg': (_q, res) => res.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8' }).end(SVG),
    '/logo.png': (_q, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG),
    '/page.html': (_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<script>alert(1)</script>'),
    '/big.png': (_q, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(5000)),
    '/missing.png': (_q, res) => res.writeHead(404).end(),
    '/hang.png': () => undefined,
    '/to-metadata': (_q, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end(),
    '/to-logo': (_q, res) => res.writeHead(302, { location: '/logo.png' }).end(),
  };
  let t: TestApp;
  let strict: TestApp;
  let off: TestApp;
  let token: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      seenHeaders.push(req.headers);
      (routes[path.split('?')[0]!] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    t = await createTestApp({ imageProxyAllowPrivate: true, imageProxyTimeoutMs: 300, imageProxyMaxBytes: 1000 });
    strict = await createTestApp({ imageProxyTimeoutMs: 300 });
    off = await createTestApp({ imageProxy: false });
    ({ token } = await t.userWithToken('alice'));
    await t.publish(token, { name: 'badged', vers: '1.0.0', readme: `# Badged\n\n![build](${base}/badge.svg) ![logo](${base}/logo.png)\n` });
    const offToken = (await off.userWithToken('bob')).token;
    await off.publish(offToken, { name: 'badged', vers: '1.0.0', readme: `![build](${base}/badge.svg)\n` });
  });
  afterAll(async () => {
    await Promise.all([t.close(), strict.close(), off.close()]);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const page = async (app: TestApp, url: string) => (await app.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })).body;
  const imagePaths = (html: string) => [...html.matchAll(/<img src="(\/img\/[^"]+)"/g)].map((m) => m[1]!);
  const signed = async (app: TestApp, url: string) => (await app.runtime.images.signerOf()).path(url);
  const get = (app: TestApp, url: string, headers: Record<string, string> = {}) => app.app.inject({ method: 'GET', url, headers });

  it('signs the README images of a page and serves them with their type, cached, without the reader’s cookies', async () => {
    const paths = imagePaths(await page(t, '/crates/badged'));
    expect(paths).toHaveLength(2);
    expect(paths.every((p) => /^\/img\/[A-Za-z0-9_-]{24}\/[A-Za-z0-9_-]+$/.test(p))).toBe(true);
    const before = hits.get('/logo.png') ?? 0;
    for (let i = 0; i < 3; i++) {
      const res = await get(t, paths[1]!, { cookie: 'wharf_session=secret', authorization: 'wharf_token' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.rawPayload.equals(PNG)).toBe(true);
    }
    expect((hits.get('/logo.png') ?? 0) - before).toBe(1);
    expect(seenHeaders.some((h) => h.cookie !== undefined || h.authorization !== undefined || h.referer !== undefined)).toBe(false);
  });

  it('serves SVG under a sandboxing CSP of its own (no script, no form posts), inline, with nosniff', async () => {
    const res = await get(t, imagePaths(await page(t, '/crates/badged'))[0]!);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox");
    expect(res.headers['content-disposition']).toBe('inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses paths it did not sign: forged, altered, or left unsigned', async () => {
    const good = await signed(t, `${base}/logo.png`);
    const [, , signature, encoded] = good.split('/');
    const flipped = `${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    const other = encodeImageUrl(`${base}/page.html`);
    for (const path of [`/img/${flipped}/${encoded}`, `/img/${signature}/${other}`, `/img/unsigned/${encoded}`, `/img/x/${encoded}`]) {
      const res = await get(t, path);
      expect(res.statusCode, path).toBe(403);
      expect(res.json()).toEqual({ errors: [{ detail: 'this image path was not signed by this registry' }] });
    }
  });

  it('answers 502 for what is not an image, too large, missing, or leads to the metadata address, and logs it', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/page.html', /is not an image \(content-type text\/html\)/],
      ['/big.png', /larger than the 1000 bytes accepted/],
      ['/missing.png', /answered 404/],
      ['/to-metadata', /169\.254\.169\.254.*connects only to public addresses/],
    ];
    for (const [path, detail] of cases) {
      const res = await get(t, await signed(t, `${base}${path}`));
      expect(res.statusCode, path).toBe(502);
      expect(res.json().errors[0].detail).toMatch(detail);
    }
    expect(t.logs.filter((l) => l.includes('request failed') && l.includes('was not proxied')).length).toBeGreaterThanOrEqual(cases.length);
    // A redirect to an image is followed.
    expect((await get(t, await signed(t, `${base}/to-logo`))).statusCode).toBe(200);
  });

  it('answers 504 when the image server never answers within image_proxy_timeout_ms', async () => {
    const res = await get(t, await signed(t, `${base}/hang.png`));
    expect(res.statusCode).toBe(504);
    expect(res.json().errors[0].detail).toContain('did not arrive within 300 ms');
  });

  it('answers 503 beyond 32 different images fetched at once, and serves again once they end', async () => {
    const busy = await createTestApp({ imageProxyAllowPrivate: true, imageProxyTimeoutMs: 3000 });
    try {
      const slow = await Promise.all(Array.from({ length: 32 }, (_, i) => signed(busy, `${base}/hang.png?${i}`)));
      const pending = slow.map((path) => get(busy, path));
      while (busy.runtime.images.fetchesInFlight < 32) await new Promise((r) => setTimeout(r, 5));
      const refused = await get(busy, await signed(busy, `${base}/logo.png?more`));
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect((await Promise.all(pending)).map((r) => r.statusCode)).toEqual(slow.map(() => 504));
      expect((await get(busy, await signed(busy, `${base}/logo.png?more`))).statusCode).toBe(200);
    } finally {
      await busy.close();
    }
  });

  it('never reaches loopback or private addresses without image_proxy_allow_private, nor through a redirect', async () => {
    const before = hits.get('/logo.png') ?? 0;
    for (const url of [`${base}/logo.png`, 'http://10.1.2.3/x.png', 'http://[::1]/x.png', 'http://169.254.169.254/latest']) {
      const res = await get(strict, await signed(strict, url));
      expect(res.statusCode, url).toBe(502);
      expect(res.json().errors[0].detail).toContain('connects only to public addresses');
    }
    expect(hits.get('/logo.png') ?? 0).toBe(before);
  });

  it('with image_proxy = false leaves README images unproxied (the CSP keeps them from loading) and answers /img/ with 404', async () => {
    const html = await page(off, '/crates/badged');
    expect(html).toContain(`<img src="${base}/badge.svg"`);
    expect(imagePaths(html)).toEqual([]);
    expect((await get(off, await signed(off, `${base}/badge.svg`))).statusCode).toBe(404);
  });

  it('signs the images of the API’s README too', async () => {
    const res = await get(t, '/api/v1/crates/badged/1.0.0/readme');
    expect(imagePaths(res.body)).toHaveLength(2);
  });

  it('on a registry that requires authentication, serves README images only to a session or a token that may read, cached privately', async () => {
    const closed = await createWebApp({ authRequired: true, imageProxyAllowPrivate: true, imageProxyTimeoutMs: 300 });
    try {
      const { token: reader } = await closed.userWithToken('reader');
      const path = await signed(closed, `${base}/logo.png`);
      const anonymous = await get(closed, path);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().errors[0].detail).toContain('API token');
      expect((await get(closed, path, { authorization: 'wharf_not_a_token' })).statusCode).toBe(401);

      const withToken = await get(closed, path, { authorization: reader });
      expect(withToken.statusCode).toBe(200);
      expect(withToken.headers['cache-control']).toBe('private, max-age=86400');
      expect(withToken.rawPayload.equals(PNG)).toBe(true);

      await closed.account('carol');
      const browser = closed.browser();
      expect((await browser.login('carol')).statusCode).toBe(303);
      const viaSession = await browser.get(path);
      expect(viaSession.statusCode).toBe(200);
      expect(viaSession.headers['cache-control']).toBe('private, max-age=86400');
    } finally {
      await closed.close();
    }
  });
});
