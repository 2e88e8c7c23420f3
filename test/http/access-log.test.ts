import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** Each request leaves one access line at info level, with what an operator looks for. */
describe('the access log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('writes one line per request, when it completes', async () => {
    const before = t.logs.length;
    expect((await t.app.inject({ method: 'GET', url: '/index/config.json' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/index/no/ne/nonesuch' })).statusCode).toBe(404);
    const lines = t.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => [l.method, l.url, l.statusCode])).toEqual([
      ['GET', '/index/config.json', 200],
      ['GET', '/index/no/ne/nonesuch', 404],
    ]);
    for (const l of completed) {
      expect(l.level).toBe(30);
      expect(typeof l.responseTime).toBe('number');
      expect(l.reqId).toBeDefined();
    }
  });
});
