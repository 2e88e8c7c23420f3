import fc from 'fast-check';
import { longLink, longName, paxHeader, type TarEntry } from './tar-writer.js';

/**
 * Entries whose name could be read more than one way: any number of GNU long names, long links,
 * local and global pax headers (with paths, sizes, link paths, repeated or newline-split
 * records), in any order, before a header whose own name, ustar prefix, magic and type vary too.
 * Most are plausible enough to pass the check, so that the comparison with cargo's unpacking is
 * exercised, not only the refusals.
 */

const DIRS = ['src', 'tests', 'src/bin', 'd'.repeat(60), 'e'.repeat(130), 'f'.repeat(250)];
const LEAVES = ['lib.rs', 'mod.rs', 'README.md', 'data.bin', 'ünï.rs', 'a b.rs', 'x\\y.rs', '.hidden'];

/** A path in the crate: mostly fresh and plausible, sometimes the manifest or a hostile one. */
export function cratePath(prefix: string): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.array(fc.constantFrom(...DIRS), { maxLength: 3 }), fc.nat(99_999), fc.constantFrom(...LEAVES))
        .map(([dirs, n, leaf]) => `${prefix}${[...dirs, `${n}-${leaf}`].join('/')}`),
    },
    { weight: 1, arbitrary: fc.constant(`${prefix}Cargo.toml`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '../escape',
        '/etc/passwd',
        `${prefix}../../x`,
        `${prefix}./src/dot.rs`,
        `${prefix}src//double.rs`,
        `${prefix}src/trailing/`,
        `${prefix}.cargo-ok`,
        `./${prefix}src/dot-first.rs`,
        `${prefix}src/nul\u0000hidden.rs`,
        `\ufeff${prefix}src/bom.rs`,
        `${prefix}${'g'.repeat(256)}`,
        `${prefix}src/lib.rs`,
        `${prefix}src/lib.rs/inside.rs`,
        prefix.slice(0, -1),
        'other-0.1.0/src/lib.rs',
      ),
    },
  );
}

type Record = [string, string];

function paxEntry(prefix: string, type: 'x' | 'g'): fc.Arbitrary<TarEntry> {
  const record: fc.Arbitrary<Record> = fc.oneof(
    { weight: 4, arbitrary: cratePath(prefix).map((p): Record => ['path', p]) },
    { weight: 2, arbitrary: fc.constantFrom<Record>(['mtime', '1700000000.25'], ['comment', 'made by hand'], ['uid', '1000'], ['SCHILY.xattr.user.x', 'y']) },
    { weight: 1, arbitrary: fc.constantFrom<Record>(['size', '0'], ['size', '3'], ['linkpath', '/etc/passwd'], ['GNU.sparse.name', `${prefix}Cargo.toml`], ['hdrcharset', 'BINARY']) },
    { weight: 1, arbitrary: cratePath(prefix).map((p): Record => ['path', `${p}\n12 path=x`]) },
  );
  return fc.array(record, { maxLength: 3 }).map((records) => paxHeader(records, type));
}

/** One extension record: a long name (sometimes without the GNU magic), a long link, or a pax header. */
function extensionRecord(prefix: string): fc.Arbitrary<TarEntry> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(cratePath(prefix), fc.constantFrom<TarEntry['format']>('gnu', 'gnu', 'ustar', 'v7')).map(([p, format]) => longName(p, format)) },
    { weight: 1, arbitrary: fc.constantFrom('/etc/passwd', `${prefix}Cargo.toml`).map((target) => longLink(target)) },
    { weight: 4, arbitrary: paxEntry(prefix, 'x') },
    { weight: 1, arbitrary: paxEntry(prefix, 'g') },
  );
}

type Naming = Pick<TarEntry, 'name' | 'prefix'>;

/** `path` split across the ustar prefix and name fields, when it fits. */
function splitNaming(path: string): Naming {
  const cut = path.lastIndexOf('/', 155);
  return cut > 0 && path.length - cut - 1 <= 100 ? { name: path.slice(cut + 1), prefix: path.slice(0, cut) } : { name: path };
}

/** How the entry's own header spells a name: in full, cut like GNU tar does, as tar-stream does, split across the ustar prefix, or as another name. */
function headerNaming(path: string, decoy = true): fc.Arbitrary<Naming> {
  const namings: Naming[] = [{ name: path }, { name: path.slice(0, 100) }, { name: 'PaxHeader' }, splitNaming(path)];
  return fc.constantFrom(...namings, ...(decoy ? [{ name: 'decoy.rs', prefix: 'other' }] : []));
}

/** A crate path that passes the check on its own (unless another entry already took it). */
function plainPath(prefix: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(fc.constantFrom(...DIRS), { maxLength: 3 }), fc.nat(99_999), fc.constantFrom(...LEAVES))
    .map(([dirs, n, leaf]) => `${prefix}${[...dirs, `${n}-${leaf}`].join('/')}`);
}

/**
 * What archivers write: a long name (GNU tar, cargo), a pax path with or without other records
 * (pax writers, tar-stream), both kinds of harmless records, or a plain ustar header; and the one
 * combination no archiver writes, a long name and a pax path that disagree.
 */
function plausibleCombo(prefix: string): fc.Arbitrary<TarEntry[]> {
  return fc
    .tuple(
      plainPath(prefix),
      fc.constantFrom('long name', 'pax path', 'pax path and mtime', 'pax mtime and long name', 'plain', 'long name and pax path'),
      fc.constantFrom('0', '0', '0', '7', '5'),
      fc.uint8Array({ maxLength: 300 }),
      fc.oneof(plainPath(prefix), fc.constant(`${prefix}Cargo.toml`)),
    )
    .chain(([path, style, type, body, other]) => {
      const data = type === '5' ? Buffer.alloc(0) : Buffer.from(body);
      const gnu = style === 'long name' || style === 'pax mtime and long name';
      const namings = gnu ? fc.constant<Naming>({ name: path.slice(0, 100) }) : style === 'plain' ? fc.constantFrom({ name: path }, splitNaming(path)) : headerNaming(path, false);
      return namings.map((naming) => {
        const entry: TarEntry = { ...naming, type, data, format: gnu ? 'gnu' : 'ustar' };
        if (style === 'long name') return [longName(path), entry];
        if (style === 'pax path') return [paxHeader({ path }), entry];
        if (style === 'pax path and mtime') return [paxHeader([['mtime', '1700000000.5'], ['path', path]]), entry];
        if (style === 'pax mtime and long name') return [paxHeader({ mtime: '1' }), longName(path), entry];
        // The attack of issue 11: readers that prefer the pax path see `path`, cargo sees `other`.
        if (style === 'long name and pax path') return [longName(other), paxHeader({ path }), { ...entry, name: path.slice(0, 100) }];
        return Buffer.byteLength(path) <= 100 || naming.prefix ? [{ ...entry, ...naming }] : [longName(path), { ...entry, name: path.slice(0, 100), format: 'gnu' }];
      });
    });
}

/** Zero to three extension records of any kind, in any order, then the entry they describe. */
function anyCombo(prefix: string): fc.Arbitrary<TarEntry[]> {
  const records = fc.oneof(
    { weight: 3, arbitrary: fc.array(extensionRecord(prefix), { maxLength: 1 }) },
    { weight: 2, arbitrary: fc.array(extensionRecord(prefix), { minLength: 2, maxLength: 3 }) },
  );
  const entry = cratePath(prefix).chain((path) =>
    fc
      .record({
        naming: headerNaming(path),
        type: fc.constantFrom('0', '0', '0', '0', '5', '7', '\0', '2', 'S', 'x', 'L', '6'),
        format: fc.constantFrom<TarEntry['format']>('ustar', 'ustar', 'gnu', 'v7'),
        body: fc.uint8Array({ maxLength: 700 }),
      })
      .map(({ naming, type, format, body }): TarEntry => ({
        ...naming,
        type,
        format,
        data: type === '5' ? Buffer.alloc(0) : Buffer.from(body),
        ...(type === '2' ? { linkname: 'lib.rs' } : {}),
      })),
  );
  return fc.tuple(records, entry).map(([extensions, e]) => [...extensions, e]);
}

/** Extension records and the entry they describe: what archivers write, or anything at all. */
export function extensionCombo(prefix: string): fc.Arbitrary<TarEntry[]> {
  return fc.oneof({ weight: 3, arbitrary: plausibleCombo(prefix) }, { weight: 2, arbitrary: anyCombo(prefix) });
}
