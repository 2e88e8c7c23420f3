import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { Fuzzer } from './harness.js';

/** The fuzz harness itself: it must notice each broken rule, or the fuzz tests could never fail. */
describe('the fuzz harness', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;
  beforeAll(async () => {
    t = await createTestApp({ logLevel: 'silent' });
    t.app.get('/boom', async () => {
      throw new Error('boom');
    });
    t.app.get('/hang', () => new Promise(() => undefined));
    t.app.get('/leaky-publish', async (_request, reply) => {
      mkdirSync(join(t.dataDir, 'crates', 'leak'), { recursive: true });
      writeFileSync(join(t.dataDir, 'crates', 'leak', 'leak-1.0.0.crate'), 'x');
      return reply.code(400).send({ errors: [{ detail: 'refused, but wrote a file first' }] });
    });
    fuzzer = new Fuzzer(t, (await t.userWithToken('h')).token, 300);
  });
  afterAll(() => t.close());

  it('counts a 5xx, a hang and a refused upload that stored a file as failures', async () => {
    expect(await fuzzer.run('t', { label: 'boom', method: 'GET', url: '/boom' })).toBe(false);
    expect(await fuzzer.run('t', { label: 'hang', method: 'GET', url: '/hang' })).toBe(false);
    expect(await fuzzer.run('t', { label: 'leak', method: 'GET', url: '/leaky-publish', publish: true })).toBe(false);
    expect(await fuzzer.run('t', { label: 'fine', method: 'GET', url: '/health/live' })).toBe(true);
    const s = fuzzer.stats.get('t')!;
    expect([s.errors5xx, s.hangs, s.leaks, s.accepted, s.cases]).toEqual([1, 1, 1, 1, 4]);
    expect(s.failures).toHaveLength(3);
  });
});
