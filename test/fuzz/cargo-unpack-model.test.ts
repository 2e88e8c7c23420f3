import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cargoUnpackModel } from './cargo-unpack-model.js';
import { crateEntries, gnuLongFile, longName, paxHeader, tarArchive, type TarEntry } from './tar-writer.js';

/**
 * The reference model the fuzzer holds Wharf against must itself read archives as cargo does;
 * these are the tar crate's rules it encodes (the end-to-end test checks it against cargo too).
 */
const crate = (...extra: TarEntry[]) => gzipSync(tarArchive([...crateEntries('m', '1.0.0'), ...extra]));
const file = (name: string, more: Partial<TarEntry> = {}): TarEntry => ({ name, data: Buffer.from('x'), ...more });
const files = (bytes: Buffer) => {
  const result = cargoUnpackModel(bytes, 'm-1.0.0');
  if (!result.ok) throw new Error(`the model refused: ${result.why}`);
  return result.files;
};
const plus = (...more: string[]) => [...BASE, ...more].sort();
const BASE = ['m-1.0.0/Cargo.toml', 'm-1.0.0/src/lib.rs'];

describe('the model of cargo unpacking a .crate', () => {
  it('lets a GNU long name win over a pax path, and a pax path over the header name', () => {
    expect(files(crate(longName('m-1.0.0/long.rs'), paxHeader({ path: 'm-1.0.0/pax.rs' }), file('m-1.0.0/header.rs')))).toEqual(plus('m-1.0.0/long.rs'));
    expect(files(crate(paxHeader({ path: 'm-1.0.0/pax.rs' }), file('m-1.0.0/header.rs')))).toEqual(plus('m-1.0.0/pax.rs'));
    expect(files(crate(...gnuLongFile(`m-1.0.0/${'l'.repeat(150)}`)))).toEqual(plus(`m-1.0.0/${'l'.repeat(150)}`));
  });

  it('reads pax records line by line, taking the first path and skipping malformed lines', () => {
    const twoPaths = paxHeader([['path', 'm-1.0.0/first.rs'], ['path', 'm-1.0.0/second.rs']]);
    expect(files(crate(twoPaths, file('m-1.0.0/h.rs')))).toEqual(plus('m-1.0.0/first.rs'));
    const split = paxHeader({ path: 'm-1.0.0/a\n25 path=m-1.0.0/split.rs' });
    expect(files(crate(split, file('m-1.0.0/h.rs')))).toEqual(plus('m-1.0.0/split.rs'));
  });

  it('joins the ustar prefix only in ustar headers, and reads extension types only there', () => {
    expect(files(crate(file('p.rs', { prefix: 'm-1.0.0/src' })))).toEqual(plus('m-1.0.0/src/p.rs'));
    expect(cargoUnpackModel(crate(file('p.rs', { prefix: 'm-1.0.0/src', format: 'gnu' })), 'm-1.0.0')).toMatchObject({ ok: false });
    // Without the magic a long name record is an entry of its own, named `././@LongLink`: outside the folder.
    expect(cargoUnpackModel(crate(longName('m-1.0.0/ignored.rs', 'v7'), file('m-1.0.0/kept.rs')), 'm-1.0.0')).toMatchObject({ ok: false, why: /@LongLink is not under/ });
  });

  it('skips `..` entries and its own marker, writes unknown types as files, and lets a later file replace an earlier one', () => {
    expect(files(crate(file('m-1.0.0/../x'), file('m-1.0.0/.cargo-ok'), file('m-1.0.0/dev', { type: '3' }), file('m-1.0.0/src/lib.rs')))).toEqual(plus('m-1.0.0/dev'));
  });

  it.each<[string, Buffer]>([
    ['an entry outside the package folder', crate(file('other/x'))],
    ['an absolute path', crate(file('/m-1.0.0/x'))],
    ['a path that starts with `./`', crate(file('./m-1.0.0/x'))],
    ['an extension header with no entry after it', gzipSync(tarArchive([...crateEntries('m', '1.0.0'), longName('m-1.0.0/x')]))],
    ['two long names for one entry', crate(longName('m-1.0.0/a'), longName('m-1.0.0/b'), file('m-1.0.0/c'))],
    ['a file inside a file', crate(file('m-1.0.0/src/lib.rs/x'))],
    ['a truncated entry', gzipSync(tarArchive(crateEntries('m', '1.0.0'), { end: false }).subarray(0, 700))],
  ])('fails on %s', (_, bytes) => {
    expect(cargoUnpackModel(bytes, 'm-1.0.0')).toMatchObject({ ok: false });
  });

  it('reads only the first gzip member', () => {
    const first = gzipSync(tarArchive(crateEntries('m', '1.0.0'), { end: false }));
    expect(files(Buffer.concat([first, gzipSync(tarArchive([file('m-1.0.0/second.rs')]))]))).toEqual(BASE);
  });
});
