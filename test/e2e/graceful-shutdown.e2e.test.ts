import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { WharfServer, wharf } from '../helpers/wharf-process.js';

/** SIGTERM stops accepting, finishes requests in flight and flushes batched download counts. */
describe('graceful shutdown', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let url: string;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-shutdown-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // Download counts would only be written after a minute: shutdown must write them.
    env = { WHARF_DATA_DIR: dataDir, WHARF_PORT: String(port), WHARF_DOWNLOAD_FLUSH_MS: '60000' };
    await wharf(['migrate'], env);
    await wharf(['user', 'add', 'sam'], env);
    token = (await wharf(['token', 'create', 'sam', '--name', 't'], env)).stdout.trimEnd().split('\n').at(-1)!;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('completes a publish that is in flight when SIGTERM arrives, and keeps its downloads', async () => {
    const server = new WharfServer(env);
    await server.start(url);
    const seed = await fetch(`${url}/api/v1/crates/new`, { method: 'PUT', body: new Uint8Array(await publishBody({ name: 'steady', vers: '1.0.0' })), headers: { authorization: token } });
    expect(seed.status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/api/v1/crates/steady/1.0.0/download`)).status).toBe(200);

    // Start an upload, send half of it, then ask the server to stop.
    const body = await publishBody({ name: 'steady', vers: '1.1.0' });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/api/v1/crates/new`, { method: 'PUT', headers: { authorization: token, 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, body.length >> 1));
      setTimeout(() => {
        server.signal('SIGTERM');
        setTimeout(() => req.end(body.subarray(body.length >> 1)), 300);
      }, 200);
    });
    const result = await answer;
    expect(result).toEqual({ status: 200, text: expect.stringContaining('warnings') });
    // No new connection is taken while it winds down.
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
    expect(await server.exited()).toBe(0);

    const again = new WharfServer(env);
    await again.start(url);
    try {
      const lines = (await (await fetch(`${url}/index/st/ea/steady`)).text()).trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { vers: string }).vers)).toEqual(['1.0.0', '1.1.0']);
      const doc = (await (await fetch(`${url}/api/v1/crates/steady`)).json()) as { versions: Array<{ num: string; downloads: number }> };
      expect(doc.versions.find((v) => v.num === '1.0.0')?.downloads).toBe(3);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 60_000);
});
