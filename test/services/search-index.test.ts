import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalCrateName } from '../../src/core/crate-name.js';
import { parseSearchQuery } from '../../src/services/search-query.js';
import { searchCrates } from '../../src/services/search.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Search answers the same whether it goes through SQLite's trigram index or the plain scan
 * (PostgreSQL, and queries under 3 characters): checked against a brute-force filter.
 */
describe('search through the full-text index', () => {
  let t: TestApp;
  let token: string;
  const crates: Array<{ name: string; description: string; keywords: string[] }> = [
    { name: 'serde', description: 'A serialization framework', keywords: ['serde', 'serialization'] },
    { name: 'serde_json', description: 'A JSON serialization file format', keywords: ['json'] },
    { name: 'my-serde', description: 'Not the real one', keywords: [] },
    { name: 'tokio', description: 'An event-driven, non-blocking I/O platform', keywords: ['async', 'io'] },
    { name: 'tokio-util', description: 'Additional utilities for working with Tokio', keywords: ['async'] },
    { name: 'quote', description: 'Quasi-quoting: the "quote!" macro', keywords: ['syn'] },
    { name: 'Hyper', description: 'A fast and correct HTTP library', keywords: ['http', 'hyper'] },
    { name: 'http-body', description: 'Trait representing an asynchronous, streaming, HTTP request or response body', keywords: ['http'] },
    { name: 'a_b_c', description: '100% underscore_name', keywords: [] },
    { name: 'abxc', description: 'look-alike of a_b_c', keywords: [] },
  ];
  const publish = async (name: string, vers: string, description: string, keywords: string[]) => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers, description, keywords }), headers: { authorization: token } });
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    t = await createTestApp();
    token = (await t.userWithToken('alice')).token;
    for (const c of crates) await publish(c.name, '1.0.0', c.description, c.keywords);
  });
  afterAll(() => t.close());

  const expected = (q: string) => {
    const canon = canonicalCrateName(q);
    const text = q.toLowerCase();
    return crates
      .filter((c) => canonicalCrateName(c.name).includes(canon) || c.description.toLowerCase().includes(text) || JSON.stringify(c.keywords).toLowerCase().includes(text))
      .map((c) => c.name)
      .sort();
  };
  const search = async (q: string) => {
    const result = await searchCrates(t.runtime.ctx, parseSearchQuery({ q, per_page: '100' }));
    return { total: result.meta.total, names: result.crates.map((c) => c.name).sort(), first: result.crates[0]?.name };
  };

  it.each(['serde', 'SERDE', 'serde-json', 'serde_json', 'tokio', 'Tokio-U', 'http', 'HTTP', 'a_b', 'a-b-c', 'ser', '"quote!"', 'quote"', '100%', 'underscore_', 'i/o', 'nothing-like-this', 'se', '_', '%'])(
    'finds exactly what a substring match finds for %j',
    async (q) => {
      const found = await search(q);
      expect(found.names).toEqual(expected(q));
      expect(found.total).toBe(expected(q).length);
    },
  );

  it('ranks the exact name first', async () => {
    expect((await search('tokio')).first).toBe('tokio');
    expect((await search('serde_json')).first).toBe('serde_json');
  });

  it('follows a crate whose description changes with a newer version', async () => {
    await publish('tokio', '2.0.0', 'A runtime for writing reliable network applications', ['async']);
    crates[3] = { name: 'tokio', description: 'A runtime for writing reliable network applications', keywords: ['async'] };
    expect((await search('reliable network')).names).toEqual(['tokio']);
    expect((await search('non-blocking')).names).toEqual([]);
  });
});
