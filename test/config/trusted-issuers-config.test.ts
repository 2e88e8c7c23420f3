import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('trusted publishing issuers', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test', WHARF_PUBLIC_URL: 'https://crates.example.com/', ...env });

  it('trusts no issuer by default', () => {
    expect(load({}).trustedIssuers).toEqual([]);
  });

  it('reads [[trusted_publishing.issuers]] from wharf.toml, the audience defaulting to the public URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-tp-config-'));
    const file = join(dir, 'wharf.toml');
    writeFileSync(
      file,
      [
        '[[trusted_publishing.issuers]]',
        'url = "https://token.actions.githubusercontent.com"',
        'kind = "github"',
        '',
        '[[trusted_publishing.issuers]]',
        'url = "https://gitlab.example.com/"',
        'kind = "gitlab"',
        'audience = "wharf"',
      ].join('\n'),
    );
    expect(load({ WHARF_CONFIG: file }).trustedIssuers).toEqual([
      { url: 'https://token.actions.githubusercontent.com', kind: 'github', audience: 'https://crates.example.com' },
      { url: 'https://gitlab.example.com', kind: 'gitlab', audience: 'wharf' },
    ]);
  });

  it('reads WHARF_TRUSTED_PUBLISHING_ISSUERS as JSON and allows http on loopback only', () => {
    const json = JSON.stringify([
      { url: 'http://127.0.0.1:9000', kind: 'github' },
      { url: 'http://[::1]:9001/issuer', kind: 'gitlab', audience: 'x' },
    ]);
    expect(load({ WHARF_TRUSTED_PUBLISHING_ISSUERS: json }).trustedIssuers).toEqual([
      { url: 'http://127.0.0.1:9000', kind: 'github', audience: 'https://crates.example.com' },
      { url: 'http://[::1]:9001/issuer', kind: 'gitlab', audience: 'x' },
    ]);
  });

  it.each([
    [[{ url: 'http://gitlab.example.com', kind: 'gitlab' }], /must use https \(plain http is allowed only for loopback/],
    [[{ url: 'http://localhost:9000', kind: 'github' }], /must use https/],
    [[{ url: 'http://10.0.0.1', kind: 'github' }], /must use https/],
    [[{ url: 'https://ci.example.com', kind: 'forgejo' }], /`kind` must be one of github, gitlab/],
    [[{ url: 'https://ci.example.com', kind: 'github', audiance: 'x' }], /unknown key `audiance`/],
    [[{ url: 'ftp://ci.example.com', kind: 'github' }], /must be an https URL/],
    [{ url: 'https://ci.example.com' }, /must be a list of issuer tables/],
    [[{ url: 'https://a.example', kind: 'github' }, { url: 'https://a.example/', kind: 'gitlab' }], /listed twice/],
  ])('refuses %j at start with a clear message', (value, message) => {
    const env = { WHARF_TRUSTED_PUBLISHING_ISSUERS: JSON.stringify(value) };
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  it('refuses JSON that does not parse', () => {
    expect(() => load({ WHARF_TRUSTED_PUBLISHING_ISSUERS: '[{url:' })).toThrow(/WHARF_TRUSTED_PUBLISHING_ISSUERS: must be a JSON array/);
  });
});
