import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { Config } from '../../src/config/config.js';
import { startRuntime } from '../../src/services/runtime.js';
import { createTestApp, type TestApp } from './test-app.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface LiveServer extends TestApp {
  url: string;
  indexUrl: string;
}

/** A Wharf listening on a free loopback port, for the real cargo to talk to. */
export async function startLiveServer(overrides: Partial<Config> = {}): Promise<LiveServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const test = await createTestApp({ host: '127.0.0.1', port, publicUrl: url, ...overrides });
  await startRuntime(test.runtime);
  await test.app.listen({ host: '127.0.0.1', port });
  return Object.assign(test, { url, indexUrl: `sparse+${url}/index/` });
}

/**
 * An index that points cargo at a real Wharf's API but knows no crates, like a stale CDN copy.
 * It lets a test reach the server-side checks that cargo's own index look-up would pre-empt.
 */
export async function staleIndexMirror(apiUrl: string): Promise<{ indexUrl: string; close(): Promise<void> }> {
  const srv = createHttpServer((req, res) => {
    if (req.url === '/index/config.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ dl: `${apiUrl}/api/v1/crates`, api: apiUrl }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    indexUrl: `sparse+http://127.0.0.1:${port}/index/`,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}
