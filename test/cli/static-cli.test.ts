import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../helpers/seed-registry.js';
import { complaints, wharf } from '../helpers/wharf-process.js';

describe('wharf static rebuild, and wharf check on the static copy (the binary)', () => {
  let dataDir: string;
  let staticDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-static-cli-'));
    staticDir = join(dataDir, 'public-index');
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'silent', WHARF_PUBLIC_URL: 'https://crates.example.com' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    // Published straight on the database, as if by a Wharf that had no static copy configured yet.
    await seedRegistry(env, 'alice', [
      { name: 'Two_Part', vers: '1.0.0' },
      { name: 'Two_Part', vers: '1.1.0' },
      { name: 'abc', vers: '0.1.0' },
    ]);
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says what to set when no static copy is configured', async () => {
    const r = await wharf(['static', 'rebuild'], env);
    expect(r.code).not.toBe(0);
    expect(complaints(r.stderr)).toContain('set static_index_dir (WHARF_STATIC_INDEX_DIR)');
  });

  it('reports a static copy that is behind, rebuilds it, then finds nothing, then finds a tampered file', async () => {
    const withStatic = { ...env, WHARF_STATIC_INDEX_DIR: staticDir };
    mkdirSync(join(staticDir, 'go/ne'), { recursive: true });
    writeFileSync(join(staticDir, 'go/ne/gone'), '{"name":"gone"}\n');

    const behind = await wharf(['check'], withStatic);
    expect(behind.code).toBe(1);
    expect(behind.stdout).toContain('static index: config.json is missing');
    expect(behind.stdout).toContain('tw/o_/two_part (Two_Part) is missing');
    expect(behind.stdout).toContain('go/ne/gone is not the index file of any crate');
    expect(behind.stdout).toContain('wharf static rebuild');

    const rebuilt = await wharf(['static', 'rebuild'], withStatic);
    expect(complaints(rebuilt.stderr)).toBe('');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain('removed: go/ne/gone');
    expect(rebuilt.stdout).toContain(`wrote the index files of 2 crates and config.json to ${staticDir}`);
    expect(existsSync(join(staticDir, 'go/ne/gone'))).toBe(false);
    const body = readFileSync(join(staticDir, 'tw/o_/two_part'));
    expect(body.toString().trim().split('\n')).toHaveLength(2);
    expect(gunzipSync(readFileSync(join(staticDir, 'tw/o_/two_part.gz'))).equals(body)).toBe(true);
    expect(JSON.parse(readFileSync(join(staticDir, 'config.json'), 'utf8'))).toEqual({
      dl: 'https://crates.example.com/api/v1/crates',
      api: 'https://crates.example.com',
      'auth-required': false,
    });
    expect((await wharf(['check'], withStatic)).code).toBe(0);

    writeFileSync(join(staticDir, '3/a/abc'), readFileSync(join(staticDir, '3/a/abc'), 'utf8').replace('"yanked":false', '"yanked":true'));
    const tampered = await wharf(['check', '--json'], withStatic);
    expect(tampered.code).toBe(1);
    const report = JSON.parse(tampered.stdout) as { problems: Array<{ kind: string; key: string }> };
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'static', key: '3/a/abc' })]);
  }, 120_000);
});
