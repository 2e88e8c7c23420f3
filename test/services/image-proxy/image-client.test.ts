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
    const table: Record<string, string> = {
      'intranet.test': '10.0.0.5',
      'meta.test': '169.254.169.254',
      'here.test': '127.0.0.1',
      'tailnet.test': '100.101.102.103',
      'alibaba-meta.test': '100.100.100.200',
      'nat64.test': '64:ff9b::a9fe:a9fe',
    };
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

  it('refuses names of shared (carrier NAT, overlay network) addresses and of metadata services outside 169.254/16', async () => {
    const client = new ImageClient({ timeoutMs: 1000, maxBytes: 1000, allowPrivate: true, resolve });
    const strict = new ImageClient({ timeoutMs: 1000, maxBytes: 1000, allowPrivate: false, resolve });
    expect((await failure(strict.fetch('http://tailnet.test/x.gif'))).detail).toContain('100.101.102.103, a private address');
    expect((await failure(strict.fetch('http://[64:ff9b::7f00:1]/x.gif'))).detail).toContain('a loopback address');
    strict.close();
    expect((await failure(client.fetch('http://alibaba-meta.test/latest'))).detail).toContain('100.100.100.200, a metadata address');
    expect((await failure(client.fetch('http://nat64.test/latest'))).detail).toContain('64:ff9b::a9fe:a9fe, a metadata address');
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
