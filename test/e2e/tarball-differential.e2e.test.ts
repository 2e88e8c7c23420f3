import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { metadataFor, publishFrame } from '../helpers/crate-builder.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { archiveAgreement, listDifference, type Agreement } from '../fuzz/agreement.js';
import { hostileArchive, tarNameArchive } from '../fuzz/generators.js';
import { crateEntries, gnuLongFile, longLink, longName, paxHeader, tarArchive, type TarEntry } from '../fuzz/tar-writer.js';

/**
 * Wharf's tarball check judged by the real cargo. Hostile archives (built by hand, and drawn from
 * the fuzz generators with fixed seeds, several kinds mixed in one archive) are published through
 * the API. Each is either refused, or one consumer that depends on all the accepted ones is
 * fetched, and the files and directories cargo unpacked into its registry cache must be exactly
 * those Wharf checked (and those the fuzzer's model of cargo predicts).
 */
const VERSION = '1.0.0';
const EVIL_MANIFEST = (name: string) => `[package]\nname = "${name}"\nversion = "${VERSION}"\nedition = "2021"\nbuild = "src/harmless.rs"\n`;

interface Case {
  name: string;
  crate: Buffer;
  /** What the test requires of Wharf; `either` for generated archives. */
  expect: 'accepted' | 'refused' | 'either';
  label: string;
}

function handmade(name: string, label: string, expect: Case['expect'], extra: (prefix: string) => TarEntry[], opts: { end?: boolean } = {}): Case {
  const prefix = `${name}-${VERSION}/`;
  const entries = [...crateEntries(name, VERSION, manifest(name, VERSION)), ...extra(prefix)];
  return { name, label, expect, crate: gzipSync(tarArchive(entries, opts)) };
}

const file = (path: string, data = 'pub fn x() {}\n', more: Partial<TarEntry> = {}): TarEntry => ({ name: path, data: Buffer.from(data), ...more });

const HANDMADE: Case[] = [
  // The attack of issue 11: cargo's tar crate takes the long name, so a second Cargo.toml with a build script.
  handmade('tx-attack', 'a long name naming Cargo.toml behind a harmless pax path', 'refused', (p) => [
    longName(`${p}Cargo.toml`),
    paxHeader({ path: `${p}src/harmless.rs` }),
    file(`${p}src/harmless.rs`, EVIL_MANIFEST('tx-attack')),
  ]),
  handmade('tx-two-long', 'two long names', 'refused', (p) => [longName(`${p}a.rs`), longName(`${p}b.rs`), file(`${p}c.rs`)]),
  handmade('tx-two-pax', 'two pax headers', 'refused', (p) => [paxHeader({ path: `${p}a.rs` }), paxHeader({ path: `${p}b.rs` }), file(`${p}c.rs`)]),
  handmade('tx-prefix-clash', 'a pax path and a ustar prefix that disagree', 'refused', (p) => [paxHeader({ path: `${p}src/a.rs` }), file('b.rs', '', { prefix: `${p}src` })]),
  handmade('tx-dotdot', 'a long name with `..`', 'refused', (p) => [longName(`${p}../escape.rs`), file(`${p}x.rs`)]),
  handmade('tx-absolute', 'an absolute long name', 'refused', () => [longName('/tmp/wharf-escape.rs'), file('tx-absolute-1.0.0/x.rs')]),
  handmade('tx-dangling', 'a long name with no entry after it', 'refused', (p) => [longName(`${p}x.rs`)]),
  handmade('tx-global', 'a pax global header', 'refused', (p) => [paxHeader({ path: `${p}g.rs` }, 'g'), file(`${p}x.rs`)]),
  handmade('tx-long-link', 'a long link before a file', 'refused', (p) => [longLink(`${p}Cargo.toml`), file(`${p}x.rs`)]),
  // Archives the check accepts, so the comparison with cargo is exercised on every name source.
  handmade('tx-long-name', 'a GNU long name, as cargo writes it', 'accepted', (p) => gnuLongFile(`${p}src/${'n'.repeat(120)}/deep.rs`, 'pub fn d() {}\n')),
  handmade('tx-pax-path', 'a pax path, as tar-stream writes it', 'accepted', (p) => [paxHeader({ path: `${p}src/${'p'.repeat(110)}.rs`, mtime: '1700000000.5' }), file('PaxHeader')]),
  handmade('tx-ustar-prefix', 'a ustar prefix and name', 'accepted', (p) => [file(`${'u'.repeat(90)}.rs`, '', { prefix: `${p}src/${'q'.repeat(60)}` })]),
  handmade('tx-pax-and-long', 'a pax header without a path and a long name', 'accepted', (p) => [paxHeader({ mtime: '1' }), longName(`${p}tests/${'t'.repeat(100)}.rs`), file(`${p}tests/decoy.rs`)]),
  handmade('tx-dirs', 'directory entries, one empty, and no end marker', 'accepted', (p) => [file(`${p}empty/`, '', { type: '5' }), file(`${p}src/bin`, '', { type: '5', mode: 0o700 }), file(`${p}src/bin/tool.rs`, 'fn main() {}\n')], { end: false }),
];

function generated(): Case[] {
  const draw = (kind: string, arb: (name: string) => fc.Arbitrary<{ label: string; crate: Buffer }>, seed: number, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const name = `tx-${kind}-${i}`;
      const [drawn] = fc.sample(arb(name), { seed: seed + i, numRuns: 1 });
      return { name, crate: drawn!.crate, label: drawn!.label, expect: 'either' as const };
    });
  return [...draw('names', (n) => tarNameArchive(n, VERSION), 1100, 40), ...draw('mixed', (n) => hostileArchive(n, VERSION), 2200, 30)];
}

describe('what cargo unpacks is what Wharf checked', () => {
  let server: LiveServer;
  let cargo: CargoSandbox;
  let token: string;
  const cases = [...HANDMADE, ...generated()];
  const accepted = new Map<string, Agreement>();

  beforeAll(async () => {
    server = await startLiveServer({ rateLimitNewCrates: null, rateLimitNewVersions: null });
    cargo = new CargoSandbox(server.indexUrl);
    token = (await server.userWithToken('tarball')).token;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('publishes each archive: the API accepts exactly those the check accepts', async () => {
    for (const c of cases) {
      const agreement = await archiveAgreement({ crate: c.crate, name: c.name, version: VERSION }, server.config.maxUnpackedSize);
      const body = publishFrame(JSON.stringify(metadataFor({ name: c.name, vers: VERSION })), c.crate);
      const res = await fetch(`${server.url}/api/v1/crates/new`, { method: 'PUT', body: new Uint8Array(body), headers: { authorization: token } });
      const answer = await res.text();
      const where = `${c.name} (${c.label.slice(0, 300)}): ${res.status} ${answer.slice(0, 300)}`;
      expect(res.status === 200, where).toBe(agreement.accepted);
      if (res.status !== 200) expect(res.status, where).toBe(400);
      if (c.expect !== 'either') expect(agreement.accepted ? 'accepted' : 'refused', where).toBe(c.expect);
      if (agreement.accepted) accepted.set(c.name, agreement);
    }
    expect(accepted.size).toBeGreaterThanOrEqual(HANDMADE.filter((c) => c.expect === 'accepted').length + 5);
    expect(cases.length - accepted.size).toBeGreaterThanOrEqual(HANDMADE.filter((c) => c.expect === 'refused').length + 5);
  }, 120_000);

  it('accepts what cargo itself packs, a path too long for a tar header included', async () => {
    const name = 'tx-cargo-packed';
    const long = `src/${'c'.repeat(120)}/inner.rs`;
    const dir = cargo.writeCrate(name, { 'Cargo.toml': manifest(name, VERSION), 'src/lib.rs': 'pub fn p() {}\n', [long]: 'pub fn i() {}\n' });
    const published = await cargo.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: dir, token });
    expect(published.code, published.stderr).toBe(0);
    const res = await fetch(`${server.url}/api/v1/crates/${name}/${VERSION}/download`);
    const crate = Buffer.from(await res.arrayBuffer());
    expect(gunzipSync(crate).includes('././@LongLink'), 'cargo wrote a GNU long name').toBe(true);
    const agreement = await archiveAgreement({ crate, name, version: VERSION }, server.config.maxUnpackedSize);
    expect(agreement.files).toContain(`${name}-${VERSION}/${long}`);
    accepted.set(name, agreement);
  }, 120_000);

  it('cargo fetch unpacks every accepted crate into exactly the files and directories Wharf checked', async () => {
    expect(accepted.size).toBeGreaterThan(0);
    const deps = [...accepted.keys()].map((name, i) => `d${i} = { package = "${name}", version = "=${VERSION}", registry = "wharf" }`);
    const consumer = cargo.writeCrate('consumer', {
      'Cargo.toml': manifest('tarball-consumer', '0.1.0', `[dependencies]\n${deps.join('\n')}\n`),
      'src/main.rs': 'fn main() {}\n',
    });
    const fetched = await cargo.run(['fetch'], { cwd: consumer });
    expect(fetched.code, fetched.stderr).toBe(0);

    const sources = join(cargo.home, 'registry', 'src');
    const [registryDir] = readdirSync(sources);
    for (const [name, agreement] of accepted) {
      const root = join(sources, registryDir!, `${name}-${VERSION}`);
      expect(existsSync(root), `${name} was unpacked`).toBe(true);
      const unpacked = listTree(root, `${name}-${VERSION}`);
      const differs = listDifference('files', agreement.files, unpacked.files) ?? listDifference('directories', agreement.dirs, unpacked.dirs);
      expect(differs, `${name}: Wharf's check against the real cargo`).toBeNull();
      // The fuzzer's model of cargo predicted the same (it is what the fuzz campaign relies on).
      expect(agreement.problem, `${name}: the model of cargo`).toBeNull();
    }
  }, 240_000);
});

/** The files and directories under `root` as `{top}/...`, sorted, without cargo's own `.cargo-ok`. */
function listTree(root: string, top: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs = [top];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = `${top}/${relative(root, join(entry.parentPath, entry.name))}`;
    if (entry.isDirectory()) dirs.push(path);
    else if (path !== `${top}/.cargo-ok`) files.push(path);
  }
  return { files: files.sort(), dirs: dirs.sort() };
}
