/**
 * A tar writer that does what it is told, including what a real archiver never would: lying
 * sizes, bad checksums, unknown type flags, device files, sparse entries, GNU long names and long
 * links, pax headers (local and global), ustar prefixes, in any number and order. It exists to
 * build hostile .crate files.
 */
export interface TarEntry {
  name: string;
  /** The typeflag byte as a character: '0' file, '5' directory, 'L' GNU long name, 'x' pax, ... */
  type?: string;
  data?: Buffer;
  /** The size written in the header; defaults to data.length. */
  declaredSize?: number;
  /** Write the size in GNU base-256 form (needed above 8 GiB). */
  base256Size?: boolean;
  linkname?: string;
  /** ustar prefix field (names are joined as prefix/name). */
  prefix?: string;
  /** Permission bits; 0o755 for directories and 0o644 for everything else unless given. */
  mode?: number;
  devmajor?: number;
  devminor?: number;
  format?: 'ustar' | 'gnu' | 'v7';
  badChecksum?: boolean;
}

const BLOCK = 512;

function field(buf: Buffer, offset: number, length: number, value: string | Buffer): void {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  bytes.copy(buf, offset, 0, Math.min(length, bytes.length));
}

function octal(value: number, length: number): string {
  return `${Math.max(0, Math.floor(value)).toString(8).padStart(length - 1, '0').slice(-(length - 1))}\0`;
}

export function tarHeader(e: TarEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  const size = e.declaredSize ?? e.data?.length ?? 0;
  field(h, 0, 100, e.name);
  field(h, 100, 8, octal(e.mode ?? (e.type === '5' ? 0o755 : 0o644), 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  if (e.base256Size) {
    h[124] = 0x80;
    let n = BigInt(Math.max(0, Math.floor(size)));
    for (let i = 135; i > 124; i--) {
      h[i] = Number(n & 0xffn);
      n >>= 8n;
    }
  } else {
    field(h, 124, 12, octal(size, 12));
  }
  field(h, 136, 12, octal(1_700_000_000, 12));
  h.write(e.type ?? '0', 156, 1, 'latin1');
  field(h, 157, 100, e.linkname ?? '');
  const format = e.format ?? 'ustar';
  if (format === 'ustar') field(h, 257, 8, Buffer.from('ustar\x0000', 'latin1'));
  if (format === 'gnu') field(h, 257, 8, Buffer.from('ustar  \x00', 'latin1'));
  field(h, 329, 8, octal(e.devmajor ?? 0, 8));
  field(h, 337, 8, octal(e.devminor ?? 0, 8));
  if (e.prefix) field(h, 345, 155, e.prefix);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  if (e.badChecksum) sum += 1;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** Header, data, padding; then two zero blocks unless `end` is false. */
export function tarArchive(entries: readonly TarEntry[], { end = true }: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e));
    const data = e.data ?? Buffer.alloc(0);
    parts.push(data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  if (end) parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** pax extended header records: `LEN key=value\n`, where LEN counts itself. */
export function paxRecords(records: Record<string, string> | ReadonlyArray<readonly [string, string]>): Buffer {
  const pairs = Array.isArray(records) ? records : Object.entries(records);
  const lines = pairs.map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    return `${len}${body}`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}

/** A GNU long name record (`L`): names the entry that follows it, as GNU tar and cargo write it. */
export function longName(name: string | Buffer, format: TarEntry['format'] = 'gnu'): TarEntry {
  const bytes = Buffer.isBuffer(name) ? name : Buffer.concat([Buffer.from(name), Buffer.from([0])]);
  return { name: '././@LongLink', type: 'L', data: bytes, format };
}

/** A GNU long link record (`K`): the link target of the entry that follows it. */
export function longLink(target: string): TarEntry {
  return { name: '././@LongLink', type: 'K', data: Buffer.from(`${target}\0`), format: 'gnu' };
}

/** A pax header, local (`x`, for the next entry) or global (`g`). */
export function paxHeader(records: Record<string, string> | ReadonlyArray<readonly [string, string]>, type: 'x' | 'g' = 'x'): TarEntry {
  return { name: type === 'x' ? 'PaxHeader/entry' : 'pax_global_header', type, data: paxRecords(records) };
}

/** A file with a path too long for the header, the way cargo writes it: a long name, then the header with the path cut to 100 bytes. */
export function gnuLongFile(path: string, data: Buffer | string = ''): TarEntry[] {
  return [longName(path), { name: path.slice(0, 100), data: Buffer.isBuffer(data) ? data : Buffer.from(data), format: 'gnu' }];
}

/** A valid crate's entries: Cargo.toml and src/lib.rs under `name-vers/`. */
export function crateEntries(name: string, vers: string, manifest?: Buffer | string): TarEntry[] {
  const toml = manifest ?? `[package]\nname = "${name}"\nversion = "${vers}"\nedition = "2021"\n`;
  return [
    { name: `${name}-${vers}/Cargo.toml`, data: Buffer.isBuffer(toml) ? toml : Buffer.from(toml) },
    { name: `${name}-${vers}/src/lib.rs`, data: Buffer.from('pub fn f() {}\n') },
  ];
}
