import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { AppError } from '../../../src/core/errors.js';
import { ImageClient } from '../../../src/services/image-proxy/image-client.js';
import type { Resolve } from '../../../src/services/outbound/safe-transport.js';

/** The image client decides on the address a name resolves to, at every hop. */
describe('ImageClient', () => {
  let server: Server;
  let port = 0;
  let requests = 0;
  /** Names of this test: `intranet.test` is a private address, `meta.test` the metadata one, `here.test` this host. */
  const resolve: Resolve = async (host) => {
    const table: Record<string, string> = { 'intranet.test': '10.0.0.5', 'meta.test': '169.254.169.254', 'here.test': '127.0.0.1' };
    const address = table[host];
    if (!address) throw Object.assign(new Error(`${host} unknown`), { code: 'ENOTFOUND' });
    return [{ address, family: 4 }];
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      if (req.url === '/to-meta') res.writeHead(302, { location: 'http://meta.test/latest' }).end();
      else res.writeHead(200, { 'content-type': 'image/gif' }).end('GIF89a');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const failure = async (promise: Promise<unknown>) => {
    const err = await promise.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  };

  it('refuses names that resolve to private or loopback addresses before connecting', async () => {
    const client = new ImageClient({ timeoutMs: 1000, maxBytes: 1000, allowPrivate: false, resolve });
    const before = requests;
    for (const host of ['intranet.test', `here.test:${port}`]) {
      const err = await failure(client.fetch(`http://${host}/x.gif`));
      expect(err.status).toBe(502);
      expect(err.detail).toMatch(/is (10\.0\.0\.5|127\.0\.0\.1), a (private|loopback) address/);
    }
    expect(requests).toBe(before);
    client.close();
  });

  it('with private addresses allowed, fetches from this host but still refuses a redirect to a name of the metadata address', async () => {
    const client = new ImageClient({ timeoutMs: 1000, maxBytes: 1000, allowPrivate: true, resolve });
    expect((await client.fetch(`http://here.test:${port}/x.gif`)).contentType).toBe('image/gif');
    const err = await failure(client.fetch(`http://here.test:${port}/to-meta`));
    expect(err.detail).toContain('169.254.169.254, a metadata address');
    client.close();
  });

  it('reads its settings from wharf.toml keys and WHARF_ variables', () => {
    const fromEnv = loadConfig({ WHARF_IMAGE_PROXY: 'false', WHARF_IMAGE_PROXY_ALLOW_PRIVATE: 'true', WHARF_IMAGE_PROXY_MAX_BYTES: '1MB', WHARF_IMAGE_PROXY_TIMEOUT_MS: '2500' }, {});
    expect([fromEnv.imageProxy, fromEnv.imageProxyAllowPrivate, fromEnv.imageProxyMaxBytes, fromEnv.imageProxyTimeoutMs]).toEqual([false, true, 1024 * 1024, 2500]);
    const defaults = loadConfig({}, {});
    expect([defaults.imageProxy, defaults.imageProxyAllowPrivate]).toEqual([true, false]);
  });
});
