import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { Fuzzer } from './harness.js';
import { crateEntries, tarArchive } from './tar-writer.js';

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
    t.app.put('/accepts-anything', async () => ({ ok: true }));
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

  it('compares accepted archives with cargo, and counts one stored against the check as a failure', async () => {
    const good = gzipSync(tarArchive(crateEntries('h', '1.0.0')));
    const archive = (crate: Buffer) => ({ crate, name: 'h', version: '1.0.0' });
    const put = { method: 'PUT' as const, url: '/accepts-anything' };
    expect(await fuzzer.run('a', { label: 'good', ...put, archive: archive(good) })).toBe(true);
    expect(await fuzzer.run('a', { label: 'refused by the check', ...put, archive: archive(Buffer.from('not gzip')) })).toBe(false);
    const s = fuzzer.stats.get('a')!;
    expect([s.compared, s.disagreements]).toEqual([1, 1]);
    expect(s.failures[0]).toMatch(/stored an archive the tarball check refuses/);
  });
});
