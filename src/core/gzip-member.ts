/**
 * Inflates a `.crate` the way cargo reads it: cargo's gzip decoder (flate2's `GzDecoder`) stops
 * after the first gzip member, where Node's gunzip goes on into a second one. An upload made of
 * two members would be checked whole here and unpacked half by cargo, so a second member (or any
 * other byte but zero padding after the first) is refused. Streaming: the inflated data is handed
 * to `onData` chunk by chunk and never held, and reading stops as soon as it passes `maxSize`.
 */
import { createInflateRaw, crc32 } from 'node:zlib';
import { AppError, badRequest, tooLarge } from './errors.js';

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED = 0xe0;

export function inflateFirstMember(bytes: Buffer, onData: (chunk: Buffer) => void, maxSize: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = headerLength(bytes);
    const inflate = createInflateRaw();
    let inflated = 0;
    let crc = 0;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      reject(err);
    };
    inflate.on('data', (chunk: Buffer) => {
      if (settled) return;
      inflated += chunk.length;
      // 413 rather than 400: the archive may be fine, it is the registry's size policy that refuses it.
      if (inflated > maxSize) return fail(tooLarge(`the .crate file unpacks to more than ${maxSize} bytes, the registry's limit`));
      crc = crc32(chunk, crc);
      try {
        onData(chunk);
      } catch (err) {
        fail(err);
      }
    });
    inflate.on('end', () => {
      if (settled) return;
      // The raw inflater stops at the end of the deflate data; bytesWritten is how much it used.
      const trailer = start + inflate.bytesWritten;
      const problem = trailerProblem(bytes, trailer, crc, inflated);
      if (problem) return fail(problem);
      settled = true;
      resolve();
    });
    inflate.on('error', (err: NodeJS.ErrnoException) => fail(gzipError(err)));
    inflate.end(bytes.subarray(start));
  });
}

/** Length of the member header (RFC 1952, 2.3), or a refusal. */
function headerLength(bytes: Buffer): number {
  const invalid = (why: string) => badRequest(`the .crate file is not a valid gzip stream (${why})`);
  if (bytes.length < 10) throw truncated();
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw invalid('incorrect header check');
  if (bytes[2] !== 8) throw invalid('unknown compression method');
  const flags = bytes[3]!;
  if ((flags & RESERVED) !== 0) throw invalid('reserved header flags are set');
  let at = 10;
  if (flags & FEXTRA) {
    if (bytes.length < at + 2) throw truncated();
    at += 2 + bytes.readUInt16LE(at);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if ((flags & flag) === 0) continue;
    const nul = bytes.indexOf(0, at);
    if (nul === -1) throw truncated();
    at = nul + 1;
  }
  if (flags & FHCRC) {
    if (bytes.length < at + 2) throw truncated();
    // cargo's decoder checks the header CRC (the low 16 bits of the CRC-32 of the header before
    // it): a wrong one would be accepted here and refused by every consumer.
    if (bytes.readUInt16LE(at) !== (crc32(bytes.subarray(0, at)) & 0xffff)) throw invalid('incorrect header check');
    at += 2;
  }
  if (at > bytes.length) throw truncated();
  return at;
}

function trailerProblem(bytes: Buffer, at: number, crc: number, size: number): AppError | null {
  if (bytes.length < at + 8) return truncated();
  if (bytes.readUInt32LE(at) !== crc >>> 0) return badRequest('the .crate file is not a valid gzip stream (incorrect data check)');
  if (bytes.readUInt32LE(at + 4) !== size % 2 ** 32) return badRequest('the .crate file is not a valid gzip stream (incorrect length check)');
  if (bytes.subarray(at + 8).some((b) => b !== 0)) {
    return badRequest('the .crate file is not a valid gzip stream (bytes follow its first member, and cargo reads only that one)');
  }
  return null;
}

function truncated(): AppError {
  return badRequest('the .crate file is truncated: its gzip stream ends early');
}

function gzipError(err: NodeJS.ErrnoException): AppError {
  return err.code === 'Z_BUF_ERROR' ? truncated() : badRequest(`the .crate file is not a valid gzip stream (${err.message})`);
}
