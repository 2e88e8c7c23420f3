import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { metadataFor, publishFrame } from '../helpers/crate-builder.js';
import type { FuzzCase } from './harness.js';
import { extensionCombo } from './tar-name-generators.js';
import { crateEntries, paxRecords, tarArchive, type TarEntry } from './tar-writer.js';

/**
 * fast-check generators of hostile requests, each a FuzzCase. Publish cases start from a valid
 * upload and break one part of it (mutation), or build a part from scratch (property-based), so
 * both the deep paths and the early refusals are reached.
 */

const NAMES = ['fuzzed', 'fuzz-crate', 'fz', 'fuzz_under'] as const;
const PUBLISH = '/api/v1/crates/new';

export const crateName = fc.constantFrom(...NAMES);
/** Versions from a space large enough that valid cases rarely collide (a collision is a 409, also fine). */
export const version = fc
  .tuple(fc.nat(999), fc.nat(99_999), fc.nat(99_999), fc.option(fc.constantFrom('alpha.1', 'rc.2', 'beta'), { nil: undefined }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);

const nameVersion = fc.tuple(crateName, version);

const validCrate = (name: string, vers: string, entries: TarEntry[] = crateEntries(name, vers)) => gzipSync(tarArchive(entries));
const metaJson = (name: string, vers: string) => Buffer.from(JSON.stringify(metadataFor({ name, vers })));

function publishCase(label: string, body: Buffer, chunks?: number[]): FuzzCase {
  return { label, method: 'PUT', url: PUBLISH, body, auth: true, publish: true, ...(chunks ? { chunks } : {}) };
}

/** A publish of `crate` whose check is also compared with cargo's unpacking. */
function archiveCase(label: string, name: string, vers: string, crate: Buffer): FuzzCase {
  return { ...publishCase(label, publishFrame(metaJson(name, vers), crate)), archive: { crate, name, version: vers } };
}

const chunking = fc.option(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }), { nil: undefined });

/** Lengths that lie: 0, off by a little, near 2^31 and 2^32. */
const lyingLength = (actual: number) =>
  fc.oneof(
    fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 1024 * 1024, 1024 * 1024 + 1),
    fc.integer({ min: -8, max: 8 }).map((d) => Math.max(0, Math.min(0xffffffff, actual + d))),
    fc.nat(0xffffffff),
  );

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

// ---------------------------------------------------------------------------------------------
// The publish frame: u32 json length, json, u32 crate length, crate.

export const frameCases: fc.Arbitrary<FuzzCase> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => publishCase(`random ${bytes.length} bytes`, Buffer.from(bytes))),
  fc.tuple(nameVersion, fc.nat(), fc.nat(), chunking).chain(([[name, vers], seedA, seedB, chunks]) => {
    const json = metaJson(name, vers);
    const crate = validCrate(name, vers);
    return fc.tuple(lyingLength(json.length), lyingLength(crate.length), fc.boolean()).map(([jl, cl, both]) => {
      const body = Buffer.concat([u32(jl), json, u32(both ? cl : crate.length), crate]);
      return publishCase(`json length ${jl} (real ${json.length}), crate length ${both ? cl : crate.length} (real ${crate.length}) ${seedA % 2}${seedB % 2}`, body, chunks);
    });
  }),
  fc.tuple(nameVersion, fc.double({ min: 0, max: 1, noNaN: true }), chunking).map(([[name, vers], at, chunks]) => {
    const body = publishFrame(metaJson(name, vers), validCrate(name, vers));
    const cutAt = Math.floor(at * body.length);
    return publishCase(`valid body truncated at ${cutAt}/${body.length}`, body.subarray(0, cutAt), chunks);
  }),
  fc.tuple(nameVersion, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([[name, vers], extra]) =>
    publishCase(`valid body + ${extra.length} extra bytes`, Buffer.concat([publishFrame(metaJson(name, vers), validCrate(name, vers)), Buffer.from(extra)])),
  ),
  fc.tuple(nameVersion, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }), chunking).map(([[name, vers], flips, chunks]) => {
    const body = Buffer.from(publishFrame(metaJson(name, vers), validCrate(name, vers)));
    for (const [at, value] of flips) body[at % body.length] = value;
    return publishCase(`valid body with bytes overwritten at ${flips.map(([a]) => a % body.length).join(',')}`, body, chunks);
  }),
  // A valid body through the stream parser at odd boundaries: should be accepted.
  fc.tuple(nameVersion, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 })).map(([[name, vers], chunks]) =>
    publishCase(`valid body in chunks of ${chunks.join(',')}`, publishFrame(metaJson(name, vers), validCrate(name, vers)), chunks),
  ),
);

// ---------------------------------------------------------------------------------------------
// Metadata JSON.

const FIELDS = ['name', 'vers', 'deps', 'features', 'authors', 'description', 'documentation', 'homepage', 'readme', 'readme_file', 'keywords', 'categories', 'license', 'license_file', 'repository', 'badges', 'links', 'rust_version'];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3, withNullPrototype: false }).map((v) => JSON.parse(JSON.stringify(v ?? null)) as unknown),
  fc.integer({ min: 1000, max: 900_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(-1, 1e308, -0, 2 ** 53 + 1, '', ' ', '\u0000', '\ud800', '../../etc', '__proto__', 'constructor', [], {}, [[]], { __proto__: null }),
  fc.array(fc.string(), { maxLength: 600 }),
  fc.dictionary(fc.string({ maxLength: 120 }), fc.array(fc.string({ maxLength: 300 }), { maxLength: 5 }), { maxKeys: 8 }),
  fc.array(
    fc.record({
      name: fc.oneof(fc.string(), crateName, fc.constant(1)),
      version_req: fc.oneof(fc.string(), fc.constantFrom('^1', '*', '>=1, <2', '=1.0.0'), fc.constant(null)),
      features: fc.oneof(fc.array(fc.string()), fc.string()),
      optional: fc.oneof(fc.boolean(), fc.string()),
      default_features: fc.oneof(fc.boolean(), fc.constant(null)),
      target: fc.oneof(fc.constant(null), fc.string(), fc.constantFrom('cfg(unix)', 'cfg(', 'cfg("))")')),
      kind: fc.oneof(fc.constantFrom('normal', 'dev', 'build', 'other'), fc.constant(7)),
      registry: fc.oneof(fc.constant(null), fc.string(), fc.constant('sparse+http://x/')),
      explicit_name_in_toml: fc.oneof(fc.constant(null), fc.string()),
    }, { requiredKeys: [] }),
    { maxLength: 4 },
  ),
);

type TextMutation = (json: string) => Buffer;
const textMutation: fc.Arbitrary<[string, TextMutation]> = fc.oneof(
  fc.tuple(fc.constantFrom('name', 'vers'), fc.string({ maxLength: 30 })).map(([key, value]): [string, TextMutation] => [
    `duplicate key ${key}=${JSON.stringify(value)}`,
    (json) => Buffer.from(`{${JSON.stringify(key)}:${JSON.stringify(value)},${json.slice(1)}`),
  ]),
  fc.tuple(fc.constantFrom('name', 'vers'), fc.string({ maxLength: 30 })).map(([key, value]): [string, TextMutation] => [
    `duplicate key ${key} at the end`,
    (json) => Buffer.from(`${json.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`),
  ]),
  fc.tuple(fc.constantFrom(...FIELDS), fc.integer({ min: 1, max: 400_000 }), fc.constantFrom('[', '{"a":')).map(([key, depth, open]): [string, TextMutation] => [
    `${key} nested ${depth} deep with ${open}`,
    (json) => {
      const close = open === '[' ? ']' : '}';
      const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
      const obj = JSON.parse(json) as Record<string, unknown>;
      obj[key] = '__NESTED__';
      return Buffer.from(JSON.stringify(obj).replace('"__NESTED__"', nested));
    },
  ]),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0x80, max: 0xff })), { minLength: 1, maxLength: 6 }).map((bytes): [string, TextMutation] => [
    `invalid UTF-8 bytes ${bytes.map(([, b]) => b.toString(16)).join(',')}`,
    (json) => {
      const buf = Buffer.from(json);
      const out: Buffer[] = [];
      let last = 0;
      for (const at of bytes.map(([a]) => a % buf.length).sort((x, y) => x - y)) {
        out.push(buf.subarray(last, at));
        last = at;
      }
      out.push(buf.subarray(last));
      return Buffer.concat(out.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from([bytes[i - 1]![1]]), part])));
    },
  ]),
  fc.constantFrom<[string, TextMutation]>(
    ['BOM prefix', (json) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)])],
    ['trailing garbage', (json) => Buffer.from(`${json}}}`)],
    ['truncated JSON', (json) => Buffer.from(json.slice(0, Math.floor(json.length / 2)))],
    ['NUL byte', (json) => Buffer.from(json.replace(',', ',\u0000'))],
    ['top-level array', (json) => Buffer.from(`[${json}]`)],
    ['top-level string', (json) => Buffer.from(JSON.stringify(json))],
    ['UTF-16 encoded', (json) => Buffer.from(json, 'utf16le')],
    ['lone surrogate escape in name', (json) => Buffer.from(json.replace(/"name":"/, '"name":"\\ud800'))],
  ),
);

export const metadataCases: fc.Arbitrary<FuzzCase> = fc.oneof(
  fc.tuple(nameVersion, fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 20 })), fc.option(hostileValue, { nil: undefined })), { minLength: 1, maxLength: 3 })).map(
    ([[name, vers], edits]) => {
      const meta = metadataFor({ name, vers });
      for (const [key, value] of edits) {
        if (value === undefined) delete meta[key];
        else meta[key] = value;
      }
      const json = Buffer.from(JSON.stringify(meta));
      return publishCase(`metadata with ${edits.map(([k, v]) => `${k}=${v === undefined ? '(deleted)' : JSON.stringify(v)?.slice(0, 60)}`).join('; ')}`, publishFrame(json, validCrate(name, vers)));
    },
  ),
  fc.tuple(nameVersion, textMutation).map(([[name, vers], [label, mutate]]) =>
    publishCase(`metadata ${label}`, publishFrame(mutate(JSON.stringify(metadataFor({ name, vers }))), validCrate(name, vers))),
  ),
);

// ---------------------------------------------------------------------------------------------
// The .crate: a gzip'd tar.

const hostileName = (prefix: string) =>
  fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => `${prefix}${s}`),
    fc.integer({ min: 90, max: 5000 }).map((n) => `${prefix}${'a'.repeat(n)}`),
    fc.constantFrom(
      '/etc/passwd',
      '../escape',
      `${prefix}../../x`,
      `${prefix}..\\..\\x`,
      'C:\\x',
      `${prefix}\u0000hidden`,
      `${prefix}CARGO.TOML`,
      `${prefix}./Cargo.toml`,
      `${prefix}`,
      '',
      'other-1.0.0/Cargo.toml',
      `${prefix}src/ünïcødé.rs`,
    ),
  );

const TYPES = ['0', '\0', '1', '2', '3', '4', '5', '6', '7', 'L', 'K', 'x', 'g', 'S', 'V', 'M', 'D', 'N', 'A', 'Z'];

function hostileEntry(prefix: string): fc.Arbitrary<TarEntry[]> {
  return fc.oneof(
    // One entry of any type, with a name that may escape, a size that may lie.
    fc
      .record({
        name: hostileName(prefix),
        type: fc.constantFrom(...TYPES),
        data: fc.uint8Array({ maxLength: 1500 }),
        lie: fc.option(fc.oneof(fc.nat(5000), fc.constantFrom(2 ** 33, 2 ** 40, 8 ** 11 - 1)), { nil: undefined }),
        base256: fc.boolean(),
        linkname: fc.option(fc.constantFrom('/etc/shadow', '../../x', `${prefix}Cargo.toml`), { nil: undefined }),
        format: fc.constantFrom<'ustar' | 'gnu' | 'v7'>('ustar', 'gnu', 'v7'),
        badChecksum: fc.boolean(),
        devmajor: fc.nat(255),
      })
      .map((r) => [
        {
          name: r.name,
          type: r.type,
          data: Buffer.from(r.data),
          ...(r.lie !== undefined ? { declaredSize: r.lie } : {}),
          base256Size: r.base256 && r.lie !== undefined,
          ...(r.linkname ? { linkname: r.linkname } : {}),
          format: r.format,
          badChecksum: r.badChecksum && r.data.length % 7 === 0,
          devmajor: r.devmajor,
        },
      ]),
    // GNU long name ('L') or long link ('K') before an entry.
    fc.tuple(fc.constantFrom('L', 'K'), hostileName(prefix), fc.constantFrom('0', '2', '5')).map(([kind, long, type]) => [
      { name: '././@LongLink', type: kind, data: Buffer.from(`${long}\0`), format: 'gnu' as const },
      { name: `${prefix}short`, type, data: type === '0' ? Buffer.from('x') : Buffer.alloc(0), format: 'gnu' as const, ...(type === '2' ? { linkname: 'y' } : {}) },
    ]),
    // pax extended headers, local or global, with paths, sizes and sparse keys.
    fc
      .tuple(
        fc.constantFrom('x', 'g'),
        fc.dictionary(
          fc.constantFrom('path', 'size', 'linkpath', 'GNU.sparse.size', 'GNU.sparse.map', 'GNU.sparse.major', 'GNU.sparse.name', 'uid', 'mtime', 'comment', 'hdrcharset'),
          fc.oneof(hostileName(prefix), fc.nat().map(String), fc.constantFrom('-1', '99999999999999999999', '0,10,20,30', '1e9', '')),
          { minKeys: 1, maxKeys: 4 },
        ),
        fc.uint8Array({ maxLength: 600 }),
      )
      .map(([kind, records, data]) => [
        { name: 'PaxHeaders/x', type: kind, data: paxRecords(records) },
        { name: `${prefix}after-pax`, data: Buffer.from(data) },
      ]),
    // A raw pax header whose records are garbage.
    fc.uint8Array({ maxLength: 300 }).map((junk) => [
      { name: 'PaxHeaders/x', type: 'x', data: Buffer.from(junk) },
      { name: `${prefix}after-junk-pax`, data: Buffer.from('x') },
    ]),
    // Old GNU sparse entries.
    fc.tuple(fc.nat(1 << 20), fc.uint8Array({ maxLength: 512 })).map(([realSize, data]) => [
      { name: `${prefix}sparse.bin`, type: 'S', data: Buffer.from(data), declaredSize: data.length, format: 'gnu' as const, devmajor: realSize },
    ]),
    // Long names, long links and pax headers combined before one entry.
    extensionCombo(prefix),
  );
}

/** How the archive bytes are damaged after they are built. */
const damage = fc.oneof(
  fc.constant({ label: 'intact', apply: (tar: Buffer) => gzipSync(tar) }),
  fc.constant({ label: 'no end marker', apply: (tar: Buffer) => gzipSync(tar.subarray(0, Math.max(0, tar.length - 1024))) }),
  fc.double({ min: 0, max: 1, noNaN: true }).map((at) => ({ label: `tar truncated at ${at.toFixed(3)}`, apply: (tar: Buffer) => gzipSync(tar.subarray(0, Math.floor(tar.length * at))) })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((at) => ({ label: `gzip truncated at ${at.toFixed(3)}`, apply: (tar: Buffer) => { const gz = gzipSync(tar); return gz.subarray(0, Math.max(1, Math.floor(gz.length * at))); } })),
  fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }).map((flips) => ({
    label: `gzip bytes overwritten ${flips.length}`,
    apply: (tar: Buffer) => {
      const gz = Buffer.from(gzipSync(tar));
      for (const [at, v] of flips) gz[at % gz.length] = v;
      return gz;
    },
  })),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((junk) => ({ label: 'garbage after gzip', apply: (tar: Buffer) => Buffer.concat([gzipSync(tar), Buffer.from(junk)]) })),
  fc.constant({ label: 'two gzip members', apply: (tar: Buffer) => Buffer.concat([gzipSync(tar.subarray(0, 512)), gzipSync(tar.subarray(512))]) }),
  fc.constant({ label: 'not gzip at all', apply: (tar: Buffer) => tar }),
);

const bombs = new Map<string, Buffer>();
/** Built once per process: they take a moment, and the generators must stay quick. */
function bomb(kind: 'zeros' | 'tar-file', name: string, vers: string, size: number): Buffer {
  const key = `${kind}:${name}:${vers}:${size}`;
  let b = bombs.get(key);
  if (!b) {
    const prefix = `${name}-${vers}/`;
    if (kind === 'zeros') b = gzipSync(Buffer.alloc(size), { level: 9 });
    else b = gzipSync(tarArchive([...crateEntries(name, vers), { name: `${prefix}big.bin`, data: Buffer.alloc(size) }]), { level: 9 });
    bombs.set(key, b);
  }
  return b;
}

/** A crate of `count` entries (tiny files plus the manifest), built header by header to stay fast. */
export function manyEntries(name: string, vers: string, count: number): Buffer {
  const entries: TarEntry[] = crateEntries(name, vers);
  for (let i = entries.length; i < count; i++) entries.push({ name: `${name}-${vers}/f/${i}`, data: Buffer.from('x') });
  return gzipSync(tarArchive(entries), { level: 1 });
}

const describeEntries = (entries: readonly TarEntry[]) =>
  entries.map((e) => `${JSON.stringify(e.type ?? '0')}:${e.name.slice(0, 50)}${e.prefix ? `(prefix ${e.prefix.slice(0, 30)})` : ''}${e.declaredSize !== undefined ? `(says ${e.declaredSize})` : ''}`).join(' ');

/**
 * A .crate for `name@vers` mixing one to three hostile groups of entries (of every kind above)
 * with a valid crate's, the groups before or after it, then damaged or not.
 */
export function hostileArchive(name: string, vers: string): fc.Arbitrary<{ label: string; crate: Buffer }> {
  return fc.tuple(fc.array(hostileEntry(`${name}-${vers}/`), { minLength: 1, maxLength: 3 }), fc.boolean(), damage).map(([extra, before, dmg]) => {
    const base = crateEntries(name, vers);
    const entries = before ? [...extra.flat(), ...base] : [...base, ...extra.flat()];
    return { label: `${describeEntries(entries)} ${dmg.label}`, crate: dmg.apply(tarArchive(entries)) };
  });
}

/**
 * Archives built mostly of combined extension headers, intact, with the valid crate's entries
 * among them: most pass the check, so what cargo would unpack is compared often.
 */
export function tarNameArchive(name: string, vers: string): fc.Arbitrary<{ label: string; crate: Buffer }> {
  const prefix = `${name}-${vers}/`;
  return fc.tuple(fc.array(extensionCombo(prefix), { minLength: 1, maxLength: 3 }), fc.nat(3), fc.boolean()).map(([groups, at, end]) => {
    const [manifest, lib] = crateEntries(name, vers);
    const pieces = [...groups];
    pieces.splice(Math.min(at, pieces.length), 0, [manifest!]);
    const entries = [...pieces.flat(), lib!];
    return { label: `${describeEntries(entries)}${end ? '' : ' (no end marker)'}`, crate: gzipSync(tarArchive(entries, { end })) };
  });
}

export const tarNameCases: fc.Arbitrary<FuzzCase> = nameVersion.chain(([name, vers]) =>
  tarNameArchive(name, vers).map(({ label, crate }) => archiveCase(label, name, vers, crate)),
);

export const crateCases: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 6, arbitrary: nameVersion.chain(([name, vers]) => hostileArchive(name, vers).map(({ label, crate }) => archiveCase(label, name, vers, crate))) },
  // Bombs are built once (fixed name and version) and reused.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom<'zeros' | 'tar-file'>('zeros', 'tar-file'), fc.constantFrom(64, 256)).map(([kind, mb]) =>
    publishCase(`${kind} bomb of ${mb} MB`, publishFrame(metaJson('fuzzed', '0.0.0'), bomb(kind, 'fuzzed', '0.0.0', mb * 1024 * 1024))),
  ) },
  { weight: 2, arbitrary: fc.tuple(nameVersion, damage).map(([[name, vers], dmg]) =>
    archiveCase(`valid entries, ${dmg.label}`, name, vers, dmg.apply(tarArchive(crateEntries(name, vers)))),
  ) },
);

// ---------------------------------------------------------------------------------------------
// Cargo.toml inside the .crate.

export const manifestCases: fc.Arbitrary<FuzzCase> = fc.tuple(nameVersion, fc.oneof(
  fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })).map(([n, v]) => `[package]\nname = ${JSON.stringify(n)}\nversion = ${JSON.stringify(v)}\n`),
  fc.constantFrom(
    '',
    '[package]',
    '[package]\nname = 1\nversion = 2\n',
    'package = "x"\n',
    '[[package]]\nname = "x"\n',
    '[package]\nname = "a"\nname = "b"\n',
    '[package\nname = "x"',
    'a = """unterminated',
    '\ufeff[package]\n',
    '[package]\nversion.workspace = true\n',
    `a = ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
    `a = ${'{ b = '.repeat(5_000)}1${' }'.repeat(5_000)}\n`,
    `x = "${'y'.repeat(1_100_000)}"\n`,
  ),
  fc.string({ maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1')),
)).chain(([[name, vers], body]) =>
  fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('replace', 'mutate-valid', 'raw-bytes')).map(([at, byte, how]) => {
    const valid = `[package]\nname = "${name}"\nversion = "${vers}"\nedition = "2021"\n`;
    let manifest: Buffer;
    if (how === 'replace') manifest = Buffer.from(body);
    else if (how === 'mutate-valid') {
      const b = Buffer.from(valid);
      b[at % b.length] = byte;
      manifest = b;
    } else manifest = Buffer.concat([Buffer.from(valid), Buffer.from([byte, 0xff, 0xfe])]);
    return publishCase(`Cargo.toml (${how}): ${JSON.stringify(manifest.toString('latin1').slice(0, 120))}`, publishFrame(metaJson(name, vers), validCrate(name, vers, crateEntries(name, vers, manifest))));
  }),
);

// ---------------------------------------------------------------------------------------------
// Reads: index paths, query strings, and the Authorization and Cookie headers.

const urlChar = fc.oneof(
  fc.constantFrom('a', 'z', '0', '-', '_', '.', '/', '//', '..', '%2e', '%2F', '%00', '%', '%zz', '%ff', '~', '+', ';', '?', '#', '@', '*', 'A', 'Z', '\\'),
  fc.string({ unit: 'grapheme', maxLength: 2 }).map((s) => encodeURIComponent(s)),
);
const pathText = (maxLength: number) => fc.array(urlChar, { maxLength }).map((parts) => parts.join(''));

const indexPathCasesNoAuth: fc.Arbitrary<FuzzCase> = fc.oneof(
  pathText(30).map((p) => ({ label: 'index path', method: 'GET' as const, url: `/index/${p}` })),
  fc.tuple(crateName, fc.constantFrom('', '/', '//', '%2F', '.')).map(([name, sep]) => {
    const path = name.length <= 2 ? `${name.length}/${name}` : name.length === 3 ? `3/${name[0]}/${name}` : `${name.slice(0, 2)}/${name.slice(2, 4)}/${name}`;
    return { label: 'near-canonical index path', method: 'GET' as const, url: `/index/${path.replace('/', sep || '/')}` };
  }),
  fc.integer({ min: 100, max: 20_000 }).map((n) => ({ label: `index path of ${n} characters`, method: 'GET' as const, url: `/index/${'ab/'.repeat(n / 3)}` })),
  fc.tuple(pathText(10), fc.constantFrom('gzip', 'br', 'gzip;q=0, identity', '*', 'x'.repeat(5000)), fc.constantFrom('*', '"x"', 'W/"1", "2"', '')).map(([p, enc, inm]) => ({
    label: 'index with conditional headers',
    method: 'GET' as const,
    url: `/index/fu/zz/${p}`,
    headers: { 'accept-encoding': enc, 'if-none-match': inm },
  })),
);

/** Index reads, half of them with a valid token (a private registry answers them). */
export const indexPathCases: fc.Arbitrary<FuzzCase> = fc.tuple(indexPathCasesNoAuth, fc.boolean()).map(([c, auth]) => ({ ...c, auth }));

const GET_PATHS = [
  '/api/v1/crates',
  '/api/v1/crates/fuzzed',
  '/api/v1/crates/fuzzed/versions',
  '/api/v1/crates/fuzzed/0.0.0',
  '/api/v1/crates/fuzzed/0.0.0/download',
  '/api/v1/crates/fuzzed/owners',
  '/api/v1/me/audit',
  '/api/v1/me/tokens',
  '/',
  '/search',
  '/crates/fuzzed',
  '/crates/fuzzed/0.0.0',
  '/users/fuzzer',
  '/me/tokens',
  '/admin',
  '/admin/audit',
  '/login',
  '/health/ready',
];
const queryKey = fc.oneof(fc.constantFrom('q', 'page', 'per_page', 'sort', 'keyword', 'category', 'seek', 'include', 'user_id', '__proto__', 'constructor', 'q[]', 'page[0]'), pathText(6));
const queryValue = fc.oneof(
  pathText(12),
  fc.constantFrom('-1', '0', '1e400', 'NaN', 'Infinity', '99999999999999999999999', '1.5', '0x10', '', 'downloads', 'recent-downloads', 'alpha', 'relevance'),
  fc.integer({ min: 1000, max: 60_000 }).map((n) => 'q'.repeat(n)),
);

export const queryCases: fc.Arbitrary<FuzzCase> = fc
  .tuple(fc.constantFrom(...GET_PATHS), fc.array(fc.tuple(queryKey, queryValue), { maxLength: 6 }), fc.boolean(), fc.constantFrom('GET', 'HEAD') as fc.Arbitrary<'GET' | 'HEAD'>)
  .map(([path, pairs, auth, method]) => ({
    label: `query ${pairs.length} pairs`,
    method,
    url: `${path}?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`,
    auth,
  }));

/** Header values the HTTP grammar allows (visible ASCII, space, tab, obs-text): anything else the client refuses to send. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9)).map((c) => String.fromCharCode(c)), maxLength });

const tokenLike = fc.oneof(
  fc.stringMatching(/^wharf_[0-9A-Za-z]{38}$/),
  fc.stringMatching(/^wharf_[0-9A-Za-z]{0,60}$/),
  fc.constantFrom('Bearer ', 'Basic YWxpY2U6c2VjcmV0', 'Bearer wharf_', 'wharf_', '', ' ', 'null', 'undefined'),
  headerText(200),
  fc.integer({ min: 1000, max: 16_000 }).map((n) => `wharf_${'A'.repeat(n)}`),
);
const cookieLike = fc.oneof(
  headerText(200),
  fc.tuple(fc.constantFrom('wharf_session', 'wharf_csrf', 'x'), headerText(120)).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom('wharf_session=%', 'wharf_session=%E0%A4%A', 'wharf_session=;wharf_session=a', '=;=;', 'wharf_session', ';;;;'),
  fc.integer({ min: 1000, max: 16_000 }).map((n) => `wharf_session=${'s'.repeat(n)}`),
);

const AUTH_ENDPOINTS: Array<[FuzzCase['method'], string]> = [
  ['PUT', '/api/v1/crates/new'],
  ['DELETE', '/api/v1/crates/fuzzed/0.0.0/yank'],
  ['PUT', '/api/v1/crates/fuzzed/0.0.0/unyank'],
  ['PUT', '/api/v1/crates/fuzzed/owners'],
  ['GET', '/api/v1/me/tokens'],
  ['PUT', '/api/v1/me/tokens'],
  ['DELETE', '/api/v1/tokens/current'],
  ['GET', '/api/v1/me/audit'],
  ['GET', '/index/config.json'],
  ['GET', '/index/fu/zz/fuzzed'],
  ['GET', '/me/tokens'],
  ['GET', '/admin'],
  ['POST', '/logout'],
  ['POST', '/me/tokens/revoke-all'],
];

export const headerCases: fc.Arbitrary<FuzzCase> = fc
  .tuple(fc.constantFrom(...AUTH_ENDPOINTS), fc.option(tokenLike, { nil: undefined }), fc.option(cookieLike, { nil: undefined }), fc.option(headerText(60), { nil: undefined }), fc.boolean())
  .map(([[method, url], authorization, cookie, csrf, auth]) => {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.authorization = authorization;
    if (cookie !== undefined) headers.cookie = cookie;
    if (csrf !== undefined) headers['x-csrf-token'] = csrf;
    const body = method === 'PUT' || method === 'POST' ? Buffer.from('{"users":["fuzzer"]}') : undefined;
    if (body) headers['content-type'] = 'application/json';
    // Without a generated Authorization, half the cases carry the valid token beside the hostile cookie.
    return { label: `headers ${Object.keys(headers).join(',')}`, method, url, headers, auth, ...(body ? { body } : {}) };
  });

export const TARGETS: ReadonlyArray<{ name: string; cases: fc.Arbitrary<FuzzCase> }> = [
  { name: 'publish frame', cases: frameCases },
  { name: 'metadata JSON', cases: metadataCases },
  { name: '.crate archive', cases: crateCases },
  { name: 'tar names', cases: tarNameCases },
  { name: 'Cargo.toml', cases: manifestCases },
  { name: 'index paths', cases: indexPathCases },
  { name: 'query strings', cases: queryCases },
  { name: 'Authorization/Cookie', cases: headerCases },
];
