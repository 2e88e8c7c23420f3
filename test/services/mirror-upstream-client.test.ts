import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { MAX_INDEX_FILE_BYTES, UpstreamClient } from '../../src/services/mirror/upstream-client.js';

/** The mirror's client against a small server on 127.0.0.1 that answers per path. */
describe('UpstreamClient', () => {
  let server: Server;
  let base = '';
  let connections = 0;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  beforeAll(async () => {
    server = createServer((req, res) => (routes.get(req.url ?? '') ?? ((_q, r) => r.writeHead(404).end()))(req, res));
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = () => new UpstreamClient(`${base}/index/`, 1000);
  const failure = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  };

  it('decodes a gzip index file, and refuses one that inflates past the cap', async () => {
    const line = '{"name":"zz","vers":"1.0.0"}\n';
    routes.set('/index/2/zz', (_q, res) => res.writeHead(200, { 'content-encoding': 'gzip', etag: '"e"' }).end(gzipSync(line)));
    const c = client();
    expect(await c.indexFile('2/zz', null)).toEqual({ kind: 'fresh', body: Buffer.from(line), etag: '"e"', lastModified: null });
    routes.set('/index/2/zy', (_q, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(MAX_INDEX_FILE_BYTES + 1))));
    const err = await failure(c.indexFile('2/zy', null));
    expect(err.status).toBe(502);
    expect(err.detail).toContain('more than the');
    c.close();
  });

  it('follows redirects to a .crate, refuses a redirect loop, and keeps one connection for requests in a row', async () => {
    routes.set('/dl/a.crate', (_q, res) => res.writeHead(302, { location: '/static/a.crate' }).end('moved'));
    routes.set('/static/a.crate', (_q, res) => res.writeHead(200, { 'content-length': '3' }).end('abc'));
    routes.set('/loop', (_q, res) => res.writeHead(301, { location: '/loop' }).end());
    const c = client();
    const before = connections;
    for (let i = 0; i < 3; i++) expect((await c.crateFile(`${base}/dl/a.crate`)).toString()).toBe('abc');
    expect(connections - before).toBe(1);
    expect((await failure(c.crateFile(`${base}/loop`))).detail).toMatch(/more than \d+ redirects/);
    c.close();
  });

  it('answers 304 and gone without a body, and times out a body that never ends', async () => {
    routes.set('/index/2/ab', (_q, res) => res.writeHead(304).end());
    routes.set('/index/2/ac', (_q, res) => res.writeHead(410).end('gone'));
    routes.set('/index/2/ad', (_q, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const c = client();
    expect(await c.indexFile('2/ab', { etag: '"x"', lastModified: null })).toEqual({ kind: 'not-modified' });
    expect(await c.indexFile('2/ac', null)).toEqual({ kind: 'gone', status: 410 });
    const slow = await failure(c.indexFile('2/ad', null));
    expect(slow.status).toBe(504);
    expect(slow.detail).toContain('within 1000 ms');
    c.close();
  });
});
