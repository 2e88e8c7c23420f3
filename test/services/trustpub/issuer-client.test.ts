import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import { IssuerClient } from '../../../src/services/trustpub/issuer-client.js';
import { TestClock } from '../../helpers/test-app.js';

/** The issuer client against misbehaving issuers on 127.0.0.1. */
describe('IssuerClient', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function issuerAnswering(handler: (url: string, base: string) => { status?: number; body: string; delayMs?: number }): Promise<string> {
    let base = '';
    server = createServer((req, res) => {
      const { status = 200, body, delayMs = 0 } = handler(req.url ?? '', base);
      setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(body), delayMs);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    return base;
  }

  const failure = async (client: IssuerClient) => {
    const err = await client.key('k', 'RS256').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  };

  it('refuses a key set larger than it accepts, while reading it', async () => {
    const url = await issuerAnswering((path, base) =>
      path.endsWith('openid-configuration') ? { body: JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }) } : { body: JSON.stringify({ keys: [], pad: 'x'.repeat(300 * 1024) }) },
    );
    const err = await failure(new IssuerClient({ url, kind: 'github', audience: 'a' }, new TestClock()));
    expect(err.status).toBe(502);
    expect(err.detail).toMatch(/more than the 262144 bytes accepted/);
  });

  it('refuses a discovery document that names another issuer', async () => {
    const url = await issuerAnswering(() => ({ body: JSON.stringify({ issuer: 'https://evil.example', jwks_uri: 'https://evil.example/jwks' }) }));
    const err = await failure(new IssuerClient({ url, kind: 'github', audience: 'a' }, new TestClock()));
    expect(err.detail).toMatch(/names the issuer `https:\/\/evil.example`, not itself/);
  });

  it('refuses a key set served over plain http off loopback', async () => {
    const url = await issuerAnswering((_path, base) => ({ body: JSON.stringify({ issuer: base, jwks_uri: 'http://keys.example/jwks' }) }));
    const err = await failure(new IssuerClient({ url, kind: 'github', audience: 'a' }, new TestClock()));
    expect(err.detail).toMatch(/no usable `jwks_uri`/);
  });

  it('gives up on a slow issuer after its timeout, with 504', async () => {
    const url = await issuerAnswering(() => ({ body: '{}', delayMs: 2000 }));
    const err = await failure(new IssuerClient({ url, kind: 'github', audience: 'a' }, new TestClock(), { timeoutMs: 200 }));
    expect(err.status).toBe(504);
    expect(err.detail).toMatch(/did not answer .* within 200 ms/);
  });

  it('asks a failing issuer again only after the refresh interval', async () => {
    let requests = 0;
    const url = await issuerAnswering(() => {
      requests++;
      return { status: 500, body: '{}' };
    });
    const clock = new TestClock();
    const client = new IssuerClient({ url, kind: 'github', audience: 'a' }, clock);
    expect((await failure(client)).detail).toMatch(/answered 500/);
    expect(await client.key('k', 'RS256')).toBeNull();
    expect(requests).toBe(1);
    clock.advance(60_000);
    await failure(client);
    expect(requests).toBe(2);
  });
});
