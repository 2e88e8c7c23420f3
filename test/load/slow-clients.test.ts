import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';

/**
 * Slowloris: clients that trickle their headers or body a byte at a time are cut off by the
 * header and request timeouts, while everyone else is served at full speed meanwhile.
 */
describe('slow clients', () => {
  let server: LiveServer;
  let token: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startLiveServer({ headersTimeoutMs: 1000, requestTimeoutMs: 2000, logLevel: 'silent' });
    token = (await server.userWithToken('patient')).token;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await server.close();
  });

  /** Opens a socket that sends `head` and then one byte of `drip` every 100 ms; resolves with ms until the server closed it. */
  function trickle(head: string, drip: string): Promise<{ closedAfterMs: number; answer: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const port = Number(new URL(server.url).port);
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      let answer = '';
      let i = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write(head);
        timer = setInterval(() => {
          if (!socket.destroyed && socket.writable) socket.write(drip[i++ % drip.length]!);
        }, 100);
      });
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ closedAfterMs: Date.now() - started, answer });
      });
    });
  }

  it('cuts off trickled headers and bodies, and serves a normal client quickly meanwhile', async () => {
    const headerDrips = Array.from({ length: 20 }, () => trickle('GET /index/config.json HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaa'));
    const bodyDrips = Array.from({ length: 5 }, () =>
      trickle(`PUT /api/v1/crates/new HTTP/1.1\r\nHost: x\r\nAuthorization: ${token}\r\nContent-Length: 100000\r\n\r\n`, '\u0001'),
    );
    await new Promise((r) => setTimeout(r, 300));

    // While 25 sockets crawl, ordinary requests are answered at once.
    for (let i = 0; i < 10; i++) {
      const started = Date.now();
      const res = await fetch(`${server.url}/index/config.json`);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(500);
    }

    for (const r of await Promise.all(headerDrips)) {
      expect(r.closedAfterMs).toBeLessThan(3000); // 1 s header timeout, checked every 250 ms
      expect(r.answer === '' || r.answer.startsWith('HTTP/1.1 408')).toBe(true);
    }
    for (const r of await Promise.all(bodyDrips)) {
      expect(r.closedAfterMs).toBeGreaterThan(1500);
      expect(r.closedAfterMs).toBeLessThan(5000); // 2 s request timeout
    }
    expect(await server.runtime.ctx.db.selectFrom('versions').select('id').execute()).toEqual([]);
    expect((await fetch(`${server.url}/index/config.json`)).status).toBe(200);
  }, 20_000);
});
