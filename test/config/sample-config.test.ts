import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../src/config/config.js';
import { renderSampleConfig } from '../../src/config/sample-config.js';

const sample = renderSampleConfig();
const root = join(import.meta.dirname, '..', '..');

/** The sample's blocks: comment lines, then the commented-out assignment (or table). */
function blocks(text: string): { example: boolean; body: string[] }[] {
  return text
    .split('\n\n')
    .slice(1)
    .map((block) => {
      const lines = block.trim().split('\n');
      return { example: lines.some((l) => l.includes('(example below, not the default)')), body: lines.filter((l) => /^#[^ ]/.test(l)).map((l) => l.slice(1)) };
    });
}

function loadWith(toml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-sample-'));
  const path = join(dir, 'wharf.toml');
  writeFileSync(path, toml);
  return loadConfig({ WHARF_CONFIG: path, WHARF_DATA_DIR: '/tmp/wharf-sample-data', WHARF_LOG_FORMAT: 'json' });
}

describe('the sample wharf.toml', () => {
  it('is the committed wharf.example.toml (regenerate with `node bin/wharf.js config sample > wharf.example.toml`)', () => {
    expect(readFileSync(join(root, 'wharf.example.toml'), 'utf8')).toBe(sample);
  });

  it('names every setting once, with its environment variable', () => {
    for (const { file, env } of SETTING_NAMES) {
      const pattern = file === 'trusted_publishing' ? '#[[trusted_publishing.issuers]]' : `#${file} = `;
      expect(sample.split('\n').filter((l) => l.startsWith(pattern)), file).toHaveLength(1);
      expect(sample).toContain(`# Environment: ${env}`);
    }
  });

  it('shows the real defaults: uncommenting every default line changes nothing', () => {
    const defaults = blocks(sample).filter((b) => !b.example);
    expect(defaults.length).toBeGreaterThan(20);
    const uncommented = loadWith(defaults.flatMap((b) => b.body).join('\n'));
    const plain = loadWith('');
    expect(uncommented).toEqual(plain);
  });

  it('gives examples that Wharf accepts', () => {
    const examples = blocks(sample).filter((b) => b.example);
    expect(examples.map((b) => b.body[0]!.split(' ')[0])).toContain('mirror_upstream');
    // static_index_dir and static_index_bucket exclude each other: the bucket's example is loaded on its own.
    const isBucket = (b: { body: string[] }) => b.body[0]!.startsWith('static_index_bucket ');
    const config = loadWith(examples.filter((b) => !isBucket(b)).flatMap((b) => b.body).join('\n'));
    expect(config.mirrorUpstream).toBe('https://index.crates.io/');
    expect(config.trustedIssuers).toHaveLength(1);
    expect(loadWith(examples.find(isBucket)!.body.join('\n')).staticIndexBucket).toBe('wharf-index/prod');
  });

  it('holds every setting the README documents, and the README documents every setting', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `(WHARF_[A-Z0-9_]+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]]);
    const fileKey = (key: string) => key.replace(/^\[\[(\w+)\.\w+\]\]$/, '$1');
    expect(new Set(documented.map(([, key]) => fileKey(key!)))).toEqual(new Set(SETTING_NAMES.map((s) => s.file)));
    for (const [env] of documented) expect(sample).toContain(`# Environment: ${env}`);
  });
});
