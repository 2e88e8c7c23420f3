/**
 * A strict, streaming reader of the tar inside a `.crate`. It gives each entry the name that
 * cargo's unpacker (the Rust `tar` crate) gives it, and refuses every archive where that name is
 * not the only one a reader could find:
 * - a GNU long name (`L`) and a pax `path` for one entry, or two of either (the `tar` crate
 *   prefers the long name, tar-stream the pax path; two of a kind mean "first" or "last" wins);
 * - a pax `path` beside a ustar prefix that spells another name;
 * - extension headers with no entry after them, pax global headers, long link names (`K`), and
 *   extension types in a header without the ustar or GNU magic (the `tar` crate reads those as
 *   plain entries);
 * - pax records whose parse differs between readers (a newline in a value, a key given twice),
 *   and keys that change an entry's size or name elsewhere (`size`, `linkpath`, `GNU.sparse.*`,
 *   `hdrcharset`);
 * - numbers only some readers accept (base-256 sizes, signed checksums), names that are not
 *   UTF-8, and data in a GNU header's prefix area (some readers prepend it to the name).
 *
 * The reader holds at most one header or extension record at a time; file data passes through.
 * Every refusal is an `AppError`, because cargo prints its detail.
 */
import { AppError, badRequest } from './errors.js';

export interface TarEntryHeader {
  /** The entry's name, as cargo's unpacker reads it. */
  path: string;
  /** The typeflag byte as a character ('0' file, '5' directory, '2' symlink, ...). */
  typeflag: string;
  /** Bytes of data that follow the header. */
  size: number;
  /** The link target from the header's linkname field ('' when empty). */
  linkname: string;
  /** Permission bits cargo will set, or null when the field is not a number (cargo then sets none). */
  mode: number | null;
}

export interface TarReaderEvents {
  entry(header: TarEntryHeader): void;
  data(chunk: Buffer): void;
  entryEnd(): void;
}

const MAX_NAME_BYTES = 4096;
const MAX_PAX_BYTES = 64 * 1024;
const BLOCK = 512;

type Phase =
  | { kind: 'header' }
  | { kind: 'extension'; flag: 'L' | 'x'; size: number }
  | { kind: 'data'; remaining: number; padding: number }
  | { kind: 'skip'; remaining: number }
  | { kind: 'ended' };

type Format = 'ustar' | 'gnu' | 'v7';

const REFUSED_PAX_KEYS = ['size', 'linkpath', 'hdrcharset'];
// ignoreBOM keeps a leading U+FEFF in the name, as cargo does: dropping it would check another path.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class StrictTarReader {
  private phase: Phase = { kind: 'header' };
  private parts: Buffer[] = [];
  private partBytes = 0;
  private offset = 0; // tar offset of the next byte to be read
  private longName: Buffer | null = null;
  private pax: Map<string, Buffer> | null = null;

  constructor(private readonly events: TarReaderEvents) {}

  /** True once the zero block that ends the archive was read; later bytes are ignored, as cargo ignores them. */
  get ended(): boolean {
    return this.phase.kind === 'ended';
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.phase.kind !== 'ended') {
      const phase = this.phase;
      if (phase.kind === 'header') at = this.collect(chunk, at, BLOCK, (block) => this.header(block));
      else if (phase.kind === 'extension') at = this.collect(chunk, at, phase.size, (data) => this.extension(phase.flag, data));
      else if (phase.kind === 'data') {
        const n = Math.min(phase.remaining, chunk.length - at);
        this.events.data(chunk.subarray(at, at + n));
        at += n;
        this.offset += n;
        phase.remaining -= n;
        if (phase.remaining === 0) this.endEntry(phase.padding);
      } else if (phase.kind === 'skip') {
        const n = Math.min(phase.remaining, chunk.length - at);
        at += n;
        this.offset += n;
        phase.remaining -= n;
        if (phase.remaining === 0) this.phase = { kind: 'header' };
      }
    }
  }

  /** The input is over: fine at the end marker or between entries, a refusal anywhere else. */
  end(): void {
    const { kind } = this.phase;
    if (kind === 'ended') return;
    if (kind === 'header' && this.partBytes === 0) {
      if (this.longName !== null || this.pax !== null) throw danglingExtension();
      return;
    }
    throw corrupt(`it ends inside ${kind === 'header' ? 'a header' : kind === 'extension' ? 'an extension header' : 'an entry'}`);
  }

  /** Gathers `need` bytes across chunks, then hands them over; returns where reading stopped. */
  private collect(chunk: Buffer, at: number, need: number, done: (bytes: Buffer) => void): number {
    const n = Math.min(need - this.partBytes, chunk.length - at);
    if (n > 0) this.parts.push(chunk.subarray(at, at + n));
    this.partBytes += n;
    this.offset += n;
    if (this.partBytes === need) {
      const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, need);
      this.parts = [];
      this.partBytes = 0;
      done(bytes);
    }
    return at + n;
  }

  private header(block: Buffer): void {
    const at = this.offset - BLOCK;
    if (block.every((b) => b === 0)) {
      if (this.longName !== null || this.pax !== null) throw danglingExtension();
      this.phase = { kind: 'ended' };
      return;
    }
    checkChecksum(block, at);
    const format = formatOf(block, at);
    const flag = String.fromCharCode(block[156]!);
    const size = octalField(block, 124, 12, 'size', at);
    if ('LKxg'.includes(flag)) return this.extensionHeader(flag, format, size, at);

    const fromHeader = headerName(block, format, at);
    const longName = this.longName;
    const paxPath = this.pax?.get('path') ?? null;
    if (longName !== null && paxPath !== null) {
      throw badRequest(`the entry at offset ${at} of the .crate's tar has both a GNU long name and a pax path; readers disagree on which one names it`);
    }
    if (paxPath !== null && format === 'ustar' && block[345] !== 0 && !fromHeader.equals(paxPath)) {
      throw badRequest(`the entry at offset ${at} of the .crate's tar has a pax path and a ustar prefix that name it differently`);
    }
    const raw = longName ?? paxPath ?? fromHeader;
    this.longName = null;
    this.pax = null;
    const path = nameText(raw, at);
    const linkname = cString(block, 157, 100).toString('utf8');
    this.events.entry({ path, typeflag: flag, size, linkname, mode: octalText(block, 100, 8) });
    if (size === 0) this.endEntry(0);
    else this.phase = { kind: 'data', remaining: size, padding: padding(size) };
  }

  private extensionHeader(flag: string, format: Format, size: number, at: number): void {
    if (flag === 'g') throw badRequest('the .crate file contains a pax global header, which is not supported');
    if (format === 'v7') {
      throw badRequest(`the .crate's tar has an extension header (type \`${flag}\`) at offset ${at} without the ustar or GNU magic; readers disagree on whether it is one`);
    }
    if (flag === 'K') throw badRequest(`the .crate's tar has a GNU long link name at offset ${at}; a .crate may contain no links`);
    if (flag === 'L' && this.longName !== null) throw badRequest(`the .crate's tar has two GNU long names for one entry (offset ${at})`);
    if (flag === 'x' && this.pax !== null) throw badRequest(`the .crate's tar has two pax headers for one entry (offset ${at})`);
    const kind = flag === 'L' ? 'L' : 'x';
    const limit = kind === 'L' ? MAX_NAME_BYTES + 1 : MAX_PAX_BYTES;
    if (size > limit) throw badRequest(`the .crate's tar has a ${kind === 'L' ? 'GNU long name' : 'pax header'} of ${size} bytes at offset ${at}, more than ${limit}`);
    this.phase = { kind: 'extension', flag: kind, size };
    if (size === 0) this.extension(kind, Buffer.alloc(0));
  }

  private extension(flag: 'L' | 'x', data: Buffer): void {
    const at = this.offset - data.length - BLOCK;
    if (flag === 'L') {
      // The `tar` crate drops one trailing NUL and keeps everything else, NULs included.
      this.longName = Buffer.from(data.length > 0 && data[data.length - 1] === 0 ? data.subarray(0, -1) : data);
    } else {
      this.pax = paxRecords(data, at);
    }
    const pad = padding(data.length);
    this.phase = pad > 0 ? { kind: 'skip', remaining: pad } : { kind: 'header' };
  }

  private endEntry(pad: number): void {
    this.events.entryEnd();
    this.phase = pad > 0 ? { kind: 'skip', remaining: pad } : { kind: 'header' };
  }
}

/** The pax records of one header, refusing any the readers could parse differently. */
function paxRecords(data: Buffer, at: number): Map<string, Buffer> {
  const bad = (why: string) => badRequest(`the pax header at offset ${at} of the .crate's tar ${why}`);
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const digits = space === -1 ? '' : data.toString('latin1', pos, space);
    if (!/^[1-9][0-9]{0,6}$/.test(digits)) throw bad('has a record without a valid length');
    const end = pos + Number(digits);
    if (end > data.length || end <= space + 1 || data[end - 1] !== 0x0a) throw bad('has a record whose length is wrong');
    const record = data.subarray(space + 1, end - 1);
    // The `tar` crate splits records at newlines, POSIX by their length: they agree only without one inside.
    if (record.includes(0x0a)) throw bad('has a record with a newline inside');
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw bad('has a record without a key');
    const key = nameText(record.subarray(0, eq), at);
    if (records.has(key)) throw bad(`gives \`${key}\` twice`);
    if (REFUSED_PAX_KEYS.includes(key) || key.startsWith('GNU.sparse.')) throw bad(`sets \`${key}\`, which is not supported`);
    records.set(key, record.subarray(eq + 1));
    pos = end;
  }
  return records;
}

function checkChecksum(block: Buffer, at: number): void {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  if (octalField(block, 148, 8, 'checksum', at) !== sum) throw corrupt(`the header at offset ${at} fails its checksum`);
}

function formatOf(block: Buffer, at: number): Format {
  const magic = block.toString('latin1', 257, 265);
  if (magic === 'ustar\u000000') return 'ustar';
  if (magic === 'ustar  \u0000') return 'gnu';
  if (magic === '\u0000'.repeat(8)) return 'v7';
  throw corrupt(`the header at offset ${at} has an unknown format`);
}

/** The name the header itself gives: the ustar prefix joins the name only in ustar headers. */
function headerName(block: Buffer, format: Format, at: number): Buffer {
  const name = cString(block, 0, 100);
  if (block[345] === 0) return name;
  if (format !== 'ustar') {
    throw badRequest(`the header at offset ${at} of the .crate's tar has data in its prefix field without the ustar magic; readers disagree on its name`);
  }
  return Buffer.concat([cString(block, 345, 155), Buffer.from('/'), name]);
}

/** An octal number field, as the `tar` crate reads it (up to the first NUL, spaces trimmed), and nothing looser. */
function octalField(block: Buffer, offset: number, length: number, what: string, at: number): number {
  const value = octalText(block, offset, length);
  if (value === null) throw corrupt(`the header at offset ${at} has an invalid ${what} field`);
  return value;
}

function octalText(block: Buffer, offset: number, length: number): number | null {
  const text = cString(block, offset, length).toString('latin1').replace(/^ +| +$/g, '');
  return /^[0-7]{1,12}$/.test(text) ? parseInt(text, 8) : null;
}

function cString(block: Buffer, offset: number, length: number): Buffer {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return nul === -1 ? field : field.subarray(0, nul);
}

function nameText(bytes: Buffer, at: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw badRequest(`the entry at offset ${at} of the .crate's tar has a name that is not UTF-8`);
  }
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function corrupt(why: string): AppError {
  return badRequest(`the tar archive in the .crate file is corrupt or truncated: ${why}`);
}

function danglingExtension(): AppError {
  return badRequest('the tar archive in the .crate file ends with an extension header that no entry follows');
}
