import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppError } from '../../../src/core/errors.js';
import { UpstreamClient } from '../../../src/services/mirror/upstream-client.js';
import { systemResolve } from '../../../src/services/mirror/upstream-transport.js';
import { StaticRegistry } from '../../helpers/static-registry.js';

/** Where a hostile upstream may send Wharf: checked on every request and redirect, on the resolved address. */
describe('UpstreamClient address rules', () => {
  let upstream: StaticRegistry;
  let other: Server;
  let otherUrl = '';
  let otherHits = 0;

  beforeAll(async () => {
    upstream = await new StaticRegistry().start();
    await upstream.publish({ name: 'leaf', vers: '1.0.0' });
    other = createServer((_req, res) => {
      otherHits += 1;
      res.end(upstream.crate('leaf', '1.0.0').bytes);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const address = other.address();
    otherUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await upstream.stop();
    await new Promise((resolve) => other.close(resolve));
  });
  beforeEach(() => {
    upstream.clearFaults();
    upstream.requests.length = 0;
    otherHits = 0;
  });

  // Names that stand for addresses, so the check is seen to apply to what a name resolves to.
  const names: Record<string, string> = { 'intranet.test': '10.0.0.1', 'metadata.test': '169.254.169.254', 'here.test': '127.0.0.1' };
  const client = (options: { crateBytesInFlight?: number } = {}) =>
    new UpstreamClient(upstream.indexUrl, 2000, {
      ...options,
      resolve: async (host) => (names[host] ? [{ address: names[host]!, family: 4 }] : systemResolve(host)),
    });
  const failure = async (work: Promise<unknown>): Promise<AppError> => {
    const err = await work.then(
      () => null,
      (e: unknown) => e as AppError,
    );
    expect(err, 'expected a refusal').not.toBeNull();
    return err!;
  };

  it.each([
    ['a private address', 'http://10.0.0.1/x.crate'],
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a link-local IPv6 address', 'http://[fe80::1]/x.crate'],
    ['a private IPv6 address', 'http://[fd00::1]/x.crate'],
    ['a name that resolves to a private address', 'http://intranet.test/x.crate'],
    ['a name that resolves to the metadata address', 'http://metadata.test/x.crate'],
  ])('refuses %s from an upstream on the loopback, before connecting', async (_what, url) => {
    const err = await failure(client().crateFile(url));
    expect(err.status).toBe(502);
    expect(err.detail).toContain('which is refused');
    expect(err.detail).toContain(upstream.indexUrl);
  });

  it('follows a redirect to another port of its own class, and a name that resolves there', async () => {
    upstream.inject('/elsewhere/', { kind: 'redirect', location: `${otherUrl}/leaf.crate` });
    const bytes = await client().crateFile(`${upstream.url}/elsewhere/leaf`);
    expect(bytes.equals(upstream.crate('leaf', '1.0.0').bytes)).toBe(true);
    const named = await client().crateFile(otherUrl.replace('127.0.0.1', 'here.test'));
    expect(named.equals(bytes)).toBe(true);
    expect(otherHits).toBe(2);
  });

  it('refuses a redirect to a refused address, and more than a few redirects', async () => {
    upstream.inject('/to-metadata/', { kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' });
    expect((await failure(client().crateFile(`${upstream.url}/to-metadata/x`))).detail).toContain('http://169.254.169.254/latest/meta-data/ (a metadata address), which is refused');
    upstream.inject('/loop/', { kind: 'redirect', location: `${upstream.url}/loop/again` });
    expect((await failure(client().crateFile(`${upstream.url}/loop/start`))).detail).toContain('more than 4 redirects');
    expect(upstream.count('/loop/')).toBe(5);
  });

  it("refuses a config.json whose dl sends downloads to the metadata address, when the download is asked", async () => {
    upstream.inject('/index/config.json', { kind: 'garbage', body: Buffer.from(JSON.stringify({ dl: 'http://169.254.169.254/{crate}/{version}' })) });
    const c = client();
    const dl = await c.downloadTemplate();
    expect((await failure(c.crateFile(dl.replace('{crate}', 'leaf').replace('{version}', '1.0.0')))).detail).toContain('which is refused');
  });

  it('bounds the bytes all .crate fetches in progress hold together, and releases them after each', async () => {
    const size = upstream.crate('leaf', '1.0.0').bytes.length;
    const c = client({ crateBytesInFlight: size - 1 });
    const err = await failure(c.crateFile(`${otherUrl}/leaf.crate`));
    expect(err.status).toBe(503);
    const roomy = client({ crateBytesInFlight: size + 10 });
    for (let i = 0; i < 3; i += 1) expect((await roomy.crateFile(`${otherUrl}/leaf.crate`)).length).toBe(size);
  });
});
