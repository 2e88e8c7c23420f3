import { describe, it, expect } from 'vitest';
import { crc32, gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import fc from 'fast-check';
import { inspectCrateTarball, type TarballLimits } from '../../src/core/tarball.js';
import { AppError } from '../../src/core/errors.js';
import { crateEntries, gnuLongFile, longLink, longName, paxHeader, tarArchive, type TarEntry } from '../fuzz/tar-writer.js';

const MiB = 1024 * 1024;
const LIMITS: TarballLimits = { maxUnpackedSize: 10 * MiB };
const FOO = { name: 'foo', version: '1.0.0' };
const MANIFEST = '[package]\nname = "foo"\nversion = "1.0.0"\nedition = "2021"\n';

interface EntrySpec {
  name: string;
  type?: Header['type'];
  body?: string | Buffer;
  linkname?: string;
}

/** An uncompressed tar made by tar-stream, which writes a pax header for names it cannot fit. */
async function makeTar(entries: EntrySpec[]): Promise<Buffer> {
  const p = pack();
  const out = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of p) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, linkname: e.linkname, devmajor: 1, devminor: 3 };
    if (type === 'file' || type === 'contiguous-file') p.entry(header, e.body ?? '');
    else p.entry(header).end(null);
  }
  p.finalize();
  return out;
}

async function makeCrate(entries: EntrySpec[]): Promise<Buffer> {
  return gzipSync(await makeTar(entries));
}

/** A well-formed crate plus `extra` entries. */
function crate(...extra: EntrySpec[]): Promise<Buffer> {
  return makeCrate([
    { name: 'foo-1.0.0/Cargo.toml', body: MANIFEST },
    { name: 'foo-1.0.0/src/lib.rs', body: 'pub fn hello() {}\n' },
    ...extra,
  ]);
}

/** Rewrites the typeflag of the tar header at `offset`, fixing its checksum. */
function retype(tar: Buffer, offset: number, flag: string): Buffer {
  const out = Buffer.from(tar);
  const block = out.subarray(offset, offset + 512);
  block[156] = flag.charCodeAt(0);
  block.fill(0x20, 148, 156);
  const sum = block.reduce((n, b) => n + b, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return out;
}

async function rejection(bytes: Buffer, limits: TarballLimits = LIMITS): Promise<AppError> {
  const err: unknown = await inspectCrateTarball(bytes, FOO, limits).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function expectRejected(bytes: Buffer, detail: RegExp, limits?: TarballLimits): Promise<void> {
  const err = await rejection(bytes, limits);
  expect(err.code).toBe('bad_request');
  expect(err.detail).toMatch(detail);
}

describe('inspectCrateTarball: valid crates', () => {
  it('accepts a crate and returns its manifest, size and entry count', async () => {
    const info = await inspectCrateTarball(await crate(), FOO, LIMITS);
    expect(info.manifest.name).toBe('foo');
    expect(info.manifest.version).toBe('1.0.0');
    expect(info.manifest.raw).toMatchObject({ package: { name: 'foo', version: '1.0.0', edition: '2021' } });
    expect(info.entries).toBe(2);
    expect(info.unpackedSize).toBe(Buffer.byteLength(MANIFEST) + 'pub fn hello() {}\n'.length);
  });

  it('streams a larger crate through backpressure and counts every entry', async () => {
    const big = Buffer.alloc(3 * MiB, 'rust ');
    const files = Array.from({ length: 2000 }, (_, i) => ({ name: `foo-1.0.0/src/m${i}.rs`, body: `// ${i}\n` }));
    const bytes = await crate({ name: 'foo-1.0.0/data.bin', body: big }, ...files);
    const info = await inspectCrateTarball(bytes, FOO, LIMITS);
    expect(info.entries).toBe(2003);
    const small = files.reduce((n, f) => n + f.body.length, 0);
    expect(info.unpackedSize).toBe(Buffer.byteLength(MANIFEST) + 'pub fn hello() {}\n'.length + big.length + small);
  });

  it('accepts directory entries, including the top folder itself', async () => {
    const bytes = await makeCrate([
      { name: 'foo-1.0.0', type: 'directory' },
      { name: 'foo-1.0.0/src/', type: 'directory' },
      { name: 'foo-1.0.0/Cargo.toml', body: MANIFEST },
      { name: 'foo-1.0.0/src/lib.rs', type: 'contiguous-file', body: '' },
    ]);
    expect((await inspectCrateTarball(bytes, FOO, LIMITS)).entries).toBe(4);
  });

  it('checks a long (>100 char) path carried in a pax header, and accepts it when valid', async () => {
    const name = `foo-1.0.0/src/${'a'.repeat(150)}.rs`;
    const tar = await makeTar([
      { name: 'foo-1.0.0/Cargo.toml', body: MANIFEST },
      { name, body: '' },
    ]);
    expect(tar.toString('latin1')).toContain(`path=${name}`);
    expect((await inspectCrateTarball(gzipSync(tar), FOO, LIMITS)).entries).toBe(2);
  });

  it('ignores whatever follows the end-of-archive marker, as cargo does', async () => {
    const tar = await makeTar([{ name: 'foo-1.0.0/Cargo.toml', body: MANIFEST }]);
    const evil = await makeTar([{ name: '../../etc/passwd', body: 'x' }]);
    for (const tail of [Buffer.alloc(10240), Buffer.from('trailing garbage'), evil]) {
      const info = await inspectCrateTarball(gzipSync(Buffer.concat([tar, tail])), FOO, LIMITS);
      expect(info.entries).toBe(1);
    }
  });

  it('accepts a tar that ends at an entry boundary without an end marker', async () => {
    const tar = await makeTar([{ name: 'foo-1.0.0/Cargo.toml', body: MANIFEST }]);
    const unterminated = tar.subarray(0, 512 + 512); // header + one padded data block
    expect((await inspectCrateTarball(gzipSync(unterminated), FOO, LIMITS)).entries).toBe(1);
  });
});

describe('inspectCrateTarball: entry paths', () => {
  it.each([
    ['path traversal', 'foo-1.0.0/../../etc/passwd', /`\.\.` component/],
    ['traversal with backslashes', 'foo-1.0.0\\..\\..\\evil', /`\.\.` component/],
    ['absolute path', '/etc/passwd', /absolute path/],
    ['wrong top folder', 'bar-1.0.0/src/lib.rs', /outside the `foo-1\.0\.0\/` folder/],
    ['wrong version folder', 'foo-1.0.1/src/lib.rs', /outside the `foo-1\.0\.0\/` folder/],
    ['no prefix at all', 'lib.rs', /`lib\.rs` is outside/],
    ['prefix in another case', 'Foo-1.0.0/src/lib.rs', /outside/],
    ['NUL byte', `foo-1.0.0/${'n'.repeat(120)}\0x`, /NUL byte/],
  ])('rejects %s', async (_, name, detail) => {
    await expectRejected(await crate({ name, body: 'x' }), detail);
  });

  it('rejects a traversal hidden in a long pax path', async () => {
    const name = `foo-1.0.0/../../${'x'.repeat(150)}`;
    const tar = await makeTar([
      { name: 'foo-1.0.0/Cargo.toml', body: MANIFEST },
      { name, body: 'x' },
    ]);
    expect(tar.toString('latin1')).toContain(`path=${name}`);
    await expectRejected(gzipSync(tar), /`\.\.` component/);
  });
});

describe('inspectCrateTarball: entry types', () => {
  it.each([
    ['symlink', { type: 'symlink', linkname: '/etc/passwd' }, /is a symlink \(to `\/etc\/passwd`\)/],
    ['hard link', { type: 'link', linkname: 'foo-1.0.0/Cargo.toml' }, /is a hard link/],
    ['character device', { type: 'character-device' }, /is a character device/],
    ['block device', { type: 'block-device' }, /is a block device/],
    ['fifo', { type: 'fifo' }, /is a fifo/],
  ] as const)('rejects a %s, naming the entry', async (_, spec, detail) => {
    const err = await rejection(await crate({ name: 'foo-1.0.0/odd', ...spec }));
    expect(err.detail).toMatch(detail);
    expect(err.detail).toContain('`foo-1.0.0/odd`');
  });

  it('rejects a pax global header, whose path tar-stream would apply to later entries', async () => {
    const tar = await makeTar([
      { name: 'foo-1.0.0/Cargo.toml', body: MANIFEST },
      { name: 'pax_global_header', body: '30 path=foo-1.0.0/src/lib.rs\n' },
      { name: 'foo-1.0.0/src/lib.rs', body: '' },
    ]);
    const globalAt = 512 + Math.ceil(MANIFEST.length / 512) * 512;
    await expectRejected(gzipSync(retype(tar, globalAt, 'g')), /pax global header/);
  });
});

describe('inspectCrateTarball: Cargo.toml', () => {
  it('rejects a crate without Cargo.toml', async () => {
    await expectRejected(await makeCrate([{ name: 'foo-1.0.0/src/lib.rs', body: '' }]), /no `foo-1\.0\.0\/Cargo\.toml`/);
  });

  it.each([
    ['an exact duplicate', 'foo-1.0.0/Cargo.toml', /more than once/],
    ['a case variant', 'foo-1.0.0/cargo.toml', /`foo-1\.0\.0\/cargo\.toml` would unpack onto `foo-1\.0\.0\/Cargo\.toml`/],
    ['a `./` alias', 'foo-1.0.0/./Cargo.toml', /would unpack onto/],
  ])('rejects a second Cargo.toml: %s', async (_, name, detail) => {
    await expectRejected(await crate({ name, body: MANIFEST }), detail);
  });

  it('rejects a case variant placed before the real Cargo.toml', async () => {
    const bytes = await makeCrate([
      { name: 'foo-1.0.0/CARGO.TOML', body: MANIFEST },
      { name: 'foo-1.0.0/Cargo.toml', body: MANIFEST },
    ]);
    await expectRejected(bytes, /exactly one Cargo\.toml/);
  });

  it('rejects a Cargo.toml that is a directory', async () => {
    await expectRejected(await makeCrate([{ name: 'foo-1.0.0/Cargo.toml', type: 'directory' }]), /not a regular file/);
  });

  it.each([
    ['name mismatch', '[package]\nname = "bar"\nversion = "1.0.0"\n', /name in Cargo\.toml \(`bar`\) does not match the name in the upload metadata \(`foo`\)/],
    ['name differing in case', '[package]\nname = "Foo"\nversion = "1.0.0"\n', /name in Cargo\.toml \(`Foo`\)/],
    ['version mismatch', '[package]\nname = "foo"\nversion = "1.0.1"\n', /version in Cargo\.toml \(`1\.0\.1`\) does not match the version in the upload metadata \(`1\.0\.0`\)/],
    ['invalid TOML', '[package\nname = "foo"\n', /Cargo\.toml .*not valid TOML \(line 1/],
    ['missing [package]', '[dependencies]\nserde = "1"\n', /no \[package\] table/],
    ['non-string version', '[package]\nname = "foo"\nversion = 1\n', /no string `package\.version`/],
    ['[package] not a table', 'package = "foo"\n', /no \[package\] table/],
    ['invalid UTF-8', Buffer.from([0x5b, 0xff, 0xfe, 0x5d]), /Cargo\.toml .*not valid UTF-8/],
  ])('rejects %s', async (_, manifest, detail) => {
    await expectRejected(await makeCrate([{ name: 'foo-1.0.0/Cargo.toml', body: manifest }]), detail);
  });

  it('rejects a Cargo.toml over maxManifestSize', async () => {
    const big = MANIFEST + `# ${'x'.repeat(2000)}\n`;
    const bytes = await makeCrate([{ name: 'foo-1.0.0/Cargo.toml', body: big }]);
    await expectRejected(bytes, /Cargo\.toml is \d+ bytes, more than the limit of 1024/, { ...LIMITS, maxManifestSize: 1024 });
  });
});

describe('inspectCrateTarball: limits', () => {
  it('stops a gzip bomb early with 413', async () => {
    const bomb = await crate({ name: 'foo-1.0.0/zeros', body: Buffer.alloc(50 * MiB) });
    expect(bomb.length).toBeLessThan(MiB);
    const err = await rejection(bomb, { maxUnpackedSize: MiB });
    expect(err.code).toBe('too_large');
    expect(err.status).toBe(413);
    expect(err.detail).toMatch(/unpacks to more than 1048576 bytes/);
  });

  it('counts the bytes after the end marker against the limit too', async () => {
    const tar = await makeTar([{ name: 'foo-1.0.0/Cargo.toml', body: MANIFEST }]);
    const err = await rejection(gzipSync(Buffer.concat([tar, Buffer.alloc(2 * MiB)])), { maxUnpackedSize: MiB });
    expect(err.code).toBe('too_large');
  });

  it('rejects more entries than maxEntries', async () => {
    const files = Array.from({ length: 5 }, (_, i) => ({ name: `foo-1.0.0/src/f${i}.rs`, body: '' }));
    const bytes = await crate(...files);
    await expectRejected(bytes, /more than 3 entries/, { ...LIMITS, maxEntries: 3 });
    expect((await inspectCrateTarball(bytes, FOO, { ...LIMITS, maxEntries: 7 })).entries).toBe(7);
  });
});

describe('inspectCrateTarball: broken files', () => {
  it('rejects an empty buffer', async () => {
    await expectRejected(Buffer.alloc(0), /empty/);
  });

  it('rejects bytes that are not gzip', async () => {
    await expectRejected(Buffer.from('this is not a crate'), /not a valid gzip stream/);
  });

  it('rejects a corrupt gzip stream', async () => {
    const bytes = Buffer.from(await crate());
    bytes.fill(0xa5, 20, 60);
    await expectRejected(bytes, /gzip|corrupt/);
  });

  it('rejects a gzip stream whose checksum fails, even after the end marker', async () => {
    const bytes = Buffer.from(await crate());
    bytes[bytes.length - 8]! ^= 0xff; // the CRC32 in the gzip trailer
    await expectRejected(bytes, /not a valid gzip stream \(incorrect data check\)/);
  });

  it('accepts zero padding after the gzip stream but rejects other trailing bytes', async () => {
    const bytes = await crate();
    expect((await inspectCrateTarball(Buffer.concat([bytes, Buffer.alloc(64)]), FOO, LIMITS)).entries).toBe(2);
    await expectRejected(Buffer.concat([bytes, Buffer.from('junk')]), /not a valid gzip stream/);
  });

  it('refuses a second gzip member, which cargo never reads', async () => {
    const first = tarArchive(crateEntries('foo', '1.0.0', MANIFEST), { end: false });
    const second = tarArchive([file('foo-1.0.0/src/extra.rs', 'pub fn x() {}')]);
    await expectRejected(Buffer.concat([gzipSync(first), gzipSync(second)]), /bytes follow its first member, and cargo reads only that one/);
  });

  it('checks a gzip header CRC as cargo does: a right one passes, a wrong one is refused', async () => {
    const plain = await crate();
    const withCrc = (crc: number) => {
      const header = Buffer.from(plain.subarray(0, 10));
      header[3]! |= 0x02;
      const field = Buffer.alloc(2);
      field.writeUInt16LE(crc);
      return Buffer.concat([header, field, plain.subarray(10)]);
    };
    const flagged = Buffer.from(plain.subarray(0, 10));
    flagged[3]! |= 0x02;
    expect((await inspectCrateTarball(withCrc(crc32(flagged) & 0xffff), FOO, LIMITS)).entries).toBe(2);
    await expectRejected(withCrc(0xadde), /not a valid gzip stream \(incorrect header check\)/);
  });

  it('reads the optional gzip header fields (a file name, as the gzip tool writes)', async () => {
    const plain = await crate();
    const named = Buffer.concat([plain.subarray(0, 10), Buffer.from('foo-1.0.0.crate\0'), plain.subarray(10)]);
    named[3]! |= 0x08;
    expect((await inspectCrateTarball(named, FOO, LIMITS)).entries).toBe(2);
    await expectRejected(named.subarray(0, 20), /truncated/);
  });

  it('rejects a crate cut in half', async () => {
    const bytes = await crate({ name: 'foo-1.0.0/README.md', body: 'lorem ipsum '.repeat(500) });
    await expectRejected(bytes.subarray(0, bytes.length >> 1), /truncated/);
  });

  it('rejects a gzip cut just before its trailer', async () => {
    const bytes = await crate();
    await expectRejected(bytes.subarray(0, bytes.length - 8), /truncated/);
  });

  it('rejects a tar cut in the middle of an entry', async () => {
    const tar = await makeTar([{ name: 'foo-1.0.0/Cargo.toml', body: MANIFEST + '#'.repeat(1000) }]);
    await expectRejected(gzipSync(tar.subarray(0, 1024)), /tar archive .*corrupt or truncated/);
  });

  it.each([
    ['short text', Buffer.from('hello')],
    ['long text', Buffer.from('hello world\n'.repeat(200))],
    ['zeros only', Buffer.alloc(4096)],
  ])('rejects gzip of non-tar data: %s', async (_, data) => {
    await expectRejected(gzipSync(data), /corrupt or truncated|no `foo-1\.0\.0\/Cargo\.toml`/);
  });

  it('rejects random bytes with an AppError and always settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (data) => {
        const err = await rejection(Buffer.from(data));
        expect(err.status).toBe(400);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects gzip of random bytes with an AppError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), async (data) => {
        await rejection(gzipSync(data));
      }),
      { numRuns: 200 },
    );
  });

  it('settles with a result or an AppError when bytes of a valid tar are overwritten', async () => {
    const tar = await makeTar([
      { name: 'foo-1.0.0/Cargo.toml', body: MANIFEST },
      { name: `foo-1.0.0/src/${'l'.repeat(120)}.rs`, body: 'fn main() {}\n' },
      { name: 'foo-1.0.0/src', type: 'directory' },
    ]);
    const edit = fc.record({ at: fc.nat({ max: tar.length - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const mutated = Buffer.from(tar);
        for (const { at, bytes } of edits) mutated.set(bytes.subarray(0, tar.length - at), at);
        const outcome = await inspectCrateTarball(gzipSync(mutated), FOO, LIMITS).then(
          () => null,
          (e: unknown) => e,
        );
        expect(outcome === null || outcome instanceof AppError).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

/** A valid crate (Cargo.toml, src/lib.rs) followed by `extra`, written header by header. */
function written(...extra: TarEntry[]): Buffer {
  return gzipSync(tarArchive([...crateEntries('foo', '1.0.0', MANIFEST), ...extra]));
}

const file = (name: string, data = '', more: Partial<TarEntry> = {}): TarEntry => ({ name, data: Buffer.from(data), ...more });
const BUILD_MANIFEST = '[package]\nname = "foo"\nversion = "1.0.0"\nbuild = "src/harmless.rs"\n';

describe('inspectCrateTarball: the name cargo unpacks, and nothing else', () => {
  it.each<[string, TarEntry[], RegExp]>([
    // The attack: tar-stream let the pax path win, the `tar` crate in cargo takes the long name.
    [
      'a GNU long name naming a second Cargo.toml, behind a harmless pax path',
      [longName('foo-1.0.0/Cargo.toml'), paxHeader({ path: 'foo-1.0.0/src/harmless.rs' }), file('foo-1.0.0/src/harmless.rs', BUILD_MANIFEST)],
      /both a GNU long name and a pax path/,
    ],
    [
      'the same with the pax header first',
      [paxHeader({ path: 'foo-1.0.0/src/harmless.rs' }), longName('foo-1.0.0/Cargo.toml'), file('foo-1.0.0/src/harmless.rs', BUILD_MANIFEST)],
      /both a GNU long name and a pax path/,
    ],
    ['a long name alone that names a second Cargo.toml', [longName('foo-1.0.0/Cargo.toml'), file('foo-1.0.0/src/harmless.rs', BUILD_MANIFEST)], /`foo-1\.0\.0\/Cargo\.toml` more than once/],
    ['two GNU long names for one entry', [longName('foo-1.0.0/a.rs'), longName('foo-1.0.0/b.rs'), file('foo-1.0.0/a.rs')], /two GNU long names/],
    ['two pax headers for one entry', [paxHeader({ path: 'foo-1.0.0/a.rs' }), paxHeader({ path: 'foo-1.0.0/b.rs' }), file('foo-1.0.0/a.rs')], /two pax headers/],
    ['a pax path and a ustar prefix that disagree', [paxHeader({ path: 'foo-1.0.0/src/a.rs' }), file('b.rs', '', { prefix: 'foo-1.0.0/src' })], /pax path and a ustar prefix/],
    ['a long name with `..`', [longName('foo-1.0.0/../../x'), file('foo-1.0.0/x')], /`\.\.` component/],
    ['a long name outside the crate', [longName('../x'), file('foo-1.0.0/x')], /`\.\.` component/],
    ['an absolute long name', [longName('/etc/cron.d/x'), file('foo-1.0.0/x')], /absolute path/],
    ['an absolute pax path', [paxHeader({ path: '/tmp/x' }), file('foo-1.0.0/x')], /absolute path/],
    ['a pax path that climbs out', [paxHeader({ path: 'foo-1.0.0/../../.bashrc' }), file('foo-1.0.0/x')], /`\.\.` component/],
    ['a long name with a NUL inside', [longName(Buffer.from('foo-1.0.0/a.rs\0../../x\0')), file('foo-1.0.0/a.rs')], /NUL byte/],
    ['a long name that starts with a byte order mark', [longName('\ufefffoo-1.0.0/src/bom.rs'), file('foo-1.0.0/src/bom.rs')], /`\ufefffoo-1\.0\.0\/src\/bom\.rs` is outside/],
    ['a long name that is not UTF-8', [longName(Buffer.from([...Buffer.from('foo-1.0.0/'), 0xff, 0xfe, 0])), file('foo-1.0.0/x')], /not UTF-8/],
    ['a long link name', [longLink('/etc/passwd'), file('foo-1.0.0/x')], /long link name/],
    ['a long name in a header without the magic', [longName('foo-1.0.0/x', 'v7'), file('foo-1.0.0/y')], /without the ustar or GNU magic/],
    ['a pax header without the magic', [{ ...paxHeader({ path: 'foo-1.0.0/x' }), format: 'v7' }, file('foo-1.0.0/y')], /without the ustar or GNU magic/],
    ['a pax global header', [paxHeader({ path: 'foo-1.0.0/x' }, 'g'), file('foo-1.0.0/y')], /pax global header/],
    ['a pax path with a newline', [paxHeader({ path: 'foo-1.0.0/a\n9 path=b' }), file('foo-1.0.0/x')], /newline/],
    ['a pax key given twice', [paxHeader([['path', 'foo-1.0.0/a.rs'], ['path', 'foo-1.0.0/Cargo.toml']]), file('foo-1.0.0/a.rs')], /gives `path` twice/],
    ['a pax size', [paxHeader({ size: '0' }), file('foo-1.0.0/x', 'abc')], /sets `size`/],
    ['a pax link path', [paxHeader({ linkpath: 'foo-1.0.0/Cargo.toml' }), file('foo-1.0.0/x')], /sets `linkpath`/],
    ['a pax sparse name', [paxHeader({ 'GNU.sparse.name': 'foo-1.0.0/Cargo.toml' }), file('foo-1.0.0/x')], /sets `GNU\.sparse\.name`/],
    ['a pax record with a wrong length', [{ name: 'PaxHeader', type: 'x', data: Buffer.from('99 path=foo-1.0.0/x\n') }, file('foo-1.0.0/x')], /length is wrong/],
    ['a pax record without a length', [{ name: 'PaxHeader', type: 'x', data: Buffer.from('path=foo-1.0.0/x\n') }, file('foo-1.0.0/x')], /without a valid length/],
    ['a GNU sparse entry', [file('foo-1.0.0/s', '', { type: 'S', format: 'gnu' })], /is a GNU sparse file/],
    ['an unknown entry type', [file('foo-1.0.0/v', '', { type: 'V' })], /unknown type \(`V`\)/],
    ['a base-256 size', [file('foo-1.0.0/b', 'x', { base256Size: true })], /invalid size field/],
    ['a GNU header with a name in its prefix area', [file('x.rs', '', { prefix: 'foo-1.0.0', format: 'gnu' })], /prefix field without the ustar magic/],
    ['a file whose name ends in a slash', [file('foo-1.0.0/dir/')], /ending in `\/`/],
    ['an empty path component', [file('foo-1.0.0/src//x.rs')], /empty or `\.` component/],
    ['a `.` path component', [file('foo-1.0.0/src/./x.rs')], /empty or `\.` component/],
    ["cargo's own marker file", [file('foo-1.0.0/.cargo-ok', 'ok')], /`\.cargo-ok`, which cargo reserves/],
    ['a component longer than 255 bytes', gnuLongFile(`foo-1.0.0/${'a'.repeat(256)}`), /longer than 255 bytes/],
    ['the same file twice', [file('foo-1.0.0/src/lib.rs', 'pub fn g() {}')], /`foo-1\.0\.0\/src\/lib\.rs` more than once/],
    ['a file inside a file', [file('foo-1.0.0/src/lib.rs/x')], /inside `foo-1\.0\.0\/src\/lib\.rs`, which is a file/],
    ['a directory where a file is', [file('foo-1.0.0/src/lib.rs', '', { type: '5' })], /both a file and a directory/],
    ['a file where a directory is', [file('foo-1.0.0/src', 'x')], /both a directory and a file/],
    ['a directory its owner cannot write into', [file('foo-1.0.0/ro/', '', { type: '5', mode: 0o555 }), file('foo-1.0.0/ro/x.rs')], /mode 0555; its owner could not unpack files into it/],
    ['a file its owner cannot read', [file('foo-1.0.0/secret.rs', 'x', { mode: 0o044 })], /mode 0044; its owner could not read it/],
  ])('refuses %s', async (_, extra, detail) => {
    await expectRejected(written(...extra), detail);
  });

  it.each<[string, Buffer]>([
    ['a long name before the end marker', tarArchive([...crateEntries('foo', '1.0.0', MANIFEST), longName('foo-1.0.0/x')])],
    ['a pax header at the end of the data', tarArchive([...crateEntries('foo', '1.0.0', MANIFEST), paxHeader({ path: 'foo-1.0.0/x' })], { end: false })],
    ['a long name and a pax header with nothing after', tarArchive([...crateEntries('foo', '1.0.0', MANIFEST), paxHeader({ mtime: '1' }), longName('foo-1.0.0/x')])],
  ])('refuses %s, which cargo cannot unpack', async (_, tar) => {
    await expectRejected(gzipSync(tar), /ends with an extension header that no entry follows/);
  });

  it('refuses a header whose checksum counts bytes as signed', async () => {
    const tar = tarArchive([...crateEntries('foo', '1.0.0', MANIFEST), file('foo-1.0.0/\u00e9.rs')]);
    const at = tar.length - 3 * 512;
    let signed = 8 * 0x20;
    for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) signed += (tar[at + i]! << 24) >> 24;
    tar.write(`${signed.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
    await expectRejected(gzipSync(tar), /fails its checksum/);
  });

  it('names a GNU long name entry by the long name, as cargo writes and reads it', async () => {
    const long = `foo-1.0.0/src/${'n'.repeat(120)}/mod.rs`;
    const info = await inspectCrateTarball(written(...gnuLongFile(long, 'pub fn m() {}\n')), FOO, LIMITS);
    expect(info.files).toEqual(['foo-1.0.0/Cargo.toml', 'foo-1.0.0/src/lib.rs', long]);
    expect(info.directories).toEqual(['foo-1.0.0', 'foo-1.0.0/src', `foo-1.0.0/src/${'n'.repeat(120)}`]);
  });

  it('names a pax path entry by the pax path, whatever the header says', async () => {
    const info = await inspectCrateTarball(written(paxHeader({ path: 'foo-1.0.0/src/über.rs', mtime: '1700000000.5' }), file('PaxHeader', '// x')), FOO, LIMITS);
    expect(info.files).toEqual(['foo-1.0.0/Cargo.toml', 'foo-1.0.0/src/lib.rs', 'foo-1.0.0/src/über.rs']);
  });

  it('accepts a pax path beside a ustar prefix and name that spell the same path', async () => {
    const info = await inspectCrateTarball(written(paxHeader({ path: 'foo-1.0.0/src/a.rs' }), file('a.rs', '', { prefix: 'foo-1.0.0/src' })), FOO, LIMITS);
    expect(info.files).toContain('foo-1.0.0/src/a.rs');
  });

  it('joins a ustar prefix and name', async () => {
    const info = await inspectCrateTarball(written(file('b.rs', '', { prefix: 'foo-1.0.0/src/deep' })), FOO, LIMITS);
    expect(info.files).toContain('foo-1.0.0/src/deep/b.rs');
  });

  it('takes a long name beside a pax header that names nothing', async () => {
    const info = await inspectCrateTarball(written(paxHeader({ mtime: '1' }), longName('foo-1.0.0/src/c.rs'), file('foo-1.0.0/src/decoy.rs')), FOO, LIMITS);
    expect(info.files).toEqual(['foo-1.0.0/Cargo.toml', 'foo-1.0.0/src/lib.rs', 'foo-1.0.0/src/c.rs']);
  });

  it('lists the files and the directories unpacking creates, listed or implied', async () => {
    const bytes = gzipSync(
      tarArchive([
        file('foo-1.0.0/', '', { type: '5' }),
        file('foo-1.0.0/Cargo.toml', MANIFEST),
        file('foo-1.0.0/empty/', '', { type: '5' }),
        file('foo-1.0.0/src/bin/main.rs', 'fn main() {}'),
        file('foo-1.0.0/src/bin', '', { type: '5' }),
      ]),
    );
    const info = await inspectCrateTarball(bytes, FOO, LIMITS);
    expect(info.files).toEqual(['foo-1.0.0/Cargo.toml', 'foo-1.0.0/src/bin/main.rs']);
    expect(info.directories).toEqual(['foo-1.0.0', 'foo-1.0.0/empty', 'foo-1.0.0/src', 'foo-1.0.0/src/bin']);
    expect(info.entries).toBe(5);
  });

  it('caps the summed length of the paths it keeps', async () => {
    const files = Array.from({ length: 40 }, (_, i) => file(`foo-1.0.0/src/${String(i).padStart(60, 'p')}.rs`));
    await expectRejected(written(...files), /paths in the \.crate file add up to more than 2048 bytes/, { ...LIMITS, maxPathBytes: 2048 });
    expect((await inspectCrateTarball(written(...files), FOO, LIMITS)).files).toHaveLength(42);
  });
});
