import { inflateRawSync } from 'node:zlib';

/**
 * A reference model of what cargo leaves on disk when it unpacks a `.crate`, written apart from
 * Wharf's checker and as lenient as the real thing: flate2's `GzDecoder` (first gzip member only),
 * the Rust `tar` crate's `Entries` (GNU long names before pax paths, pax before the header's name,
 * the ustar prefix only with the ustar magic, extension types honoured only in ustar or GNU
 * headers, pax records split at newlines), then cargo's `unpack_package` (every path must start
 * with `{name}-{version}`, `.cargo-ok` is skipped) and the tar crate's `unpack_in` (`..` skipped,
 * `.` and empty parts dropped, unknown types written as files, later files replace earlier ones).
 *
 * The fuzzer and the end-to-end test hold Wharf's accepted list against it: whenever Wharf accepts
 * an archive, this model must unpack it without error into exactly those files and directories.
 */
export type ModelResult = { ok: true; files: string[]; dirs: string[] } | { ok: false; why: string };

class Refused extends Error {}

export function cargoUnpackModel(crate: Buffer, packageDir: string): ModelResult {
  try {
    const tree = new ModelTree();
    for (const entry of tarEntries(firstGzipMember(crate))) unpackEntry(entry, packageDir, tree);
    return { ok: true, files: [...tree.files].sort(), dirs: [...tree.dirs].sort() };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, why: err.message };
    throw err;
  }
}

function firstGzipMember(gz: Buffer): Buffer {
  if (gz.length < 10 || gz[0] !== 0x1f || gz[1] !== 0x8b || gz[2] !== 8) throw new Refused('not gzip');
  const flags = gz[3]!;
  let at = 10;
  if (flags & 4) at += 2 + gz.readUInt16LE(at);
  if (flags & 8) at = gz.indexOf(0, at) + 1;
  if (flags & 16) at = gz.indexOf(0, at) + 1;
  if (flags & 2) at += 2;
  try {
    return inflateRawSync(gz.subarray(at));
  } catch {
    throw new Refused('the deflate stream is corrupt');
  }
}

interface RawHeader {
  block: Buffer;
  data: Buffer;
}

interface ModelEntry extends RawHeader {
  longName: Buffer | null;
  longLink: Buffer | null;
  pax: Buffer | null;
}

const isUstar = (h: Buffer) => h.toString('latin1', 257, 265) === 'ustar\u000000';
const isGnu = (h: Buffer) => h.toString('latin1', 257, 265) === 'ustar  \u0000';
const untilNul = (b: Buffer) => (b.indexOf(0) === -1 ? b : b.subarray(0, b.indexOf(0)));

/** The tar crate's `Entries` iterator. */
function* tarEntries(tar: Buffer): Generator<ModelEntry> {
  let next = 0;
  for (;;) {
    let longName: Buffer | null = null;
    let longLink: Buffer | null = null;
    let pax: Buffer | null = null;
    let processed = 0;
    for (;;) {
      processed += 1;
      const raw = readRaw(tar, next, pax);
      if (raw === null) {
        if (processed > 1) throw new Refused('members found describing a future member but no future member found');
        return;
      }
      next = raw.next;
      const { block } = raw.header;
      const flag = String.fromCharCode(block[156]!);
      const recognized = isUstar(block) || isGnu(block);
      if (recognized && flag === 'L') {
        if (longName) throw new Refused('two long name entries');
        longName = raw.header.data;
      } else if (recognized && flag === 'K') {
        if (longLink) throw new Refused('two long link entries');
        longLink = raw.header.data;
      } else if (recognized && flag === 'x') {
        if (pax) throw new Refused('two pax extensions');
        pax = raw.header.data;
      } else {
        if (flag === 'S') throw new Refused('GNU sparse files are not modelled');
        yield { ...raw.header, longName, longLink, pax };
        break;
      }
    }
  }
}

function readRaw(tar: Buffer, at: number, pax: Buffer | null): { header: RawHeader; next: number } | null {
  if (at > tar.length) throw new Refused('unexpected EOF during skip');
  if (at === tar.length) return null;
  if (tar.length - at < 512) throw new Refused('failed to read entire block');
  const block = tar.subarray(at, at + 512);
  if (block.every((b) => b === 0)) return null;
  let sum = 256;
  block.forEach((b, i) => {
    if (i < 148 || i >= 156) sum += b;
  });
  if (octal(block.subarray(148, 156)) !== sum) throw new Refused('archive header checksum mismatch');
  let size = numeric(block.subarray(124, 136));
  if (size === 0 && pax) {
    const paxSize = paxValue(pax, 'size');
    if (paxSize !== null && /^\+?\d+$/.test(paxSize.toString('latin1'))) size = Number(paxSize.toString('latin1'));
  }
  const start = at + 512;
  if (start + size > tar.length) throw new Refused('unexpected EOF in entry data');
  return { header: { block, data: tar.subarray(start, start + size) }, next: start + Math.ceil(size / 512) * 512 };
}

/** Rust's `u64::from_str_radix(trimmed, 8)` over the field up to its first NUL. */
function octal(field: Buffer): number {
  const text = untilNul(field).toString('latin1').trim();
  if (!/^\+?[0-7]+$/.test(text)) throw new Refused(`numeric field was not a number: ${JSON.stringify(text)}`);
  return parseInt(text.replace('+', ''), 8);
}

function numeric(field: Buffer): number {
  if ((field[0]! & 0x80) === 0) return octal(field);
  let n = 0;
  for (const byte of field.subarray(4)) n = n * 256 + byte;
  return n;
}

/** The tar crate's pax iterator: lines split at `\n`, stop at an empty one, malformed ones skipped, first match wins. */
function paxValue(pax: Buffer, key: string): Buffer | null {
  let start = 0;
  while (start <= pax.length) {
    const nl = pax.indexOf(0x0a, start);
    const line = pax.subarray(start, nl === -1 ? pax.length : nl);
    if (line.length === 0) return null;
    start = nl === -1 ? pax.length + 1 : nl + 1;
    const space = line.indexOf(0x20);
    if (space === -1) continue;
    const len = line.toString('latin1', 0, space);
    if (!/^\+?\d+$/.test(len) || Number(len.replace('+', '')) !== line.length + 1) continue;
    const eq = line.indexOf(0x3d, space + 1);
    if (eq === -1) continue;
    if (line.toString('latin1', space + 1, eq) === key) return line.subarray(eq + 1);
  }
  return null;
}

function pathBytes(e: ModelEntry): Buffer {
  if (e.longName) return e.longName.at(-1) === 0 ? e.longName.subarray(0, -1) : e.longName;
  const fromPax = e.pax ? paxValue(e.pax, 'path') : null;
  if (fromPax) return fromPax;
  const name = untilNul(e.block.subarray(0, 100));
  if (!isUstar(e.block)) return name;
  const prefix = untilNul(e.block.subarray(345, 500));
  return prefix.length === 0 ? name : Buffer.concat([prefix, Buffer.from('/'), name]);
}

type Component = { kind: 'root' | 'cur' | 'parent' } | { kind: 'normal'; name: string };

/** Rust's `Path::components` on Unix: `.` only at the start, empty parts dropped. */
function components(path: string): Component[] {
  const out: Component[] = [];
  if (path.startsWith('/')) out.push({ kind: 'root' });
  const parts = path.split('/');
  parts.forEach((part, i) => {
    if (part === '' || (part === '.' && !(i === 0 && out.length === 0))) return;
    if (part === '.') out.push({ kind: 'cur' });
    else if (part === '..') out.push({ kind: 'parent' });
    else out.push({ kind: 'normal', name: part });
  });
  return out;
}

class ModelTree {
  readonly files = new Set<string>();
  readonly dirs = new Set<string>();
  readonly links = new Set<string>();

  makeParents(parts: string[]): void {
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (this.files.has(dir) || this.links.has(dir)) throw new Refused(`failed to create ${dir}: not a directory`);
      this.dirs.add(dir);
    }
  }
}

function unpackEntry(e: ModelEntry, packageDir: string, tree: ModelTree): void {
  const bytes = pathBytes(e);
  if (bytes.includes(0)) throw new Refused('a path with a NUL byte cannot be created');
  const path = bytes.toString('utf8');
  const parts = components(path);
  // cargo: `entry_path.starts_with(prefix)`, then skip its own marker by file name.
  const first = parts[0];
  if (!first || first.kind !== 'normal' || first.name !== packageDir) throw new Refused(`${path} is not under ${packageDir}`);
  const last = parts.at(-1)!;
  if (last.kind === 'normal' && last.name === '.cargo-ok') return;
  // tar's unpack_in: `..` skips the entry, root and `.` are dropped.
  if (parts.some((p) => p.kind === 'parent')) return;
  const names = parts.flatMap((p) => (p.kind === 'normal' ? [p.name] : []));
  for (const name of names) if (Buffer.byteLength(name) > 255) throw new Refused('file name too long');
  tree.makeParents(names);
  const dst = names.join('/');
  const flag = String.fromCharCode(e.block[156]!);
  if (flag === '5') {
    if (tree.files.has(dst) || tree.links.has(dst)) throw new Refused(`${dst} exists and is not a directory`);
    tree.dirs.add(dst);
  } else if (flag === '1' || flag === '2') {
    const target = e.longLink ?? (e.pax ? paxValue(e.pax, 'linkpath') : null) ?? untilNul(e.block.subarray(157, 257));
    if (target.length === 0) throw new Refused('link without a target');
    if (tree.dirs.has(dst)) throw new Refused(`${dst} is a directory`);
    tree.files.delete(dst);
    tree.links.add(dst);
  } else if ('xgLK'.includes(flag)) {
    // Extension records the iterator did not take (no magic, or global): nothing is written.
  } else if (!isUstar(e.block) && bytes.at(-1) === 0x2f) {
    if (tree.files.has(dst) || tree.links.has(dst)) throw new Refused(`${dst} exists and is not a directory`);
    tree.dirs.add(dst);
  } else {
    if (tree.dirs.has(dst)) throw new Refused(`${dst} is a directory`);
    tree.links.delete(dst);
    tree.files.add(dst);
  }
}
