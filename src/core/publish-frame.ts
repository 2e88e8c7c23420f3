import { badRequest, tooLarge } from './errors.js';

/**
 * The body of `cargo publish`: u32 LE json length, the JSON, u32 LE crate length, the .crate.
 * A push parser: the HTTP layer feeds chunks as they arrive, so a lying length or an oversized
 * crate is refused before anything large is buffered.
 */
export interface FrameLimits {
  maxJsonSize: number;
  /** The largest .crate any upload may have (the early check of Content-Length uses it). */
  maxCrateSize: number;
  /**
   * The limit for this upload's own crate, given its metadata, asked as soon as the metadata has
   * arrived, so an upload over its crate's limit is refused before its .crate part is buffered.
   */
  crateLimitFor?: (json: Buffer) => number;
}

export interface PublishFrame {
  json: Buffer;
  crate: Buffer;
}

type Stage = 'json-len' | 'json' | 'crate-len' | 'crate' | 'done';

export class PublishFrameReader {
  private stage: Stage = 'json-len';
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private need = 4;
  private json: Buffer | null = null;
  private crate: Buffer | null = null;
  private crateLimit: number;

  constructor(private readonly limits: FrameLimits) {
    this.crateLimit = limits.maxCrateSize;
  }

  /** The largest body this reader can ever accept, for an early check of Content-Length. */
  static maxBodySize(limits: FrameLimits): number {
    return 8 + limits.maxJsonSize + limits.maxCrateSize;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.stage === 'done') {
        throw badRequest('the upload is longer than its declared lengths');
      }
      const take = Math.min(this.need - this.pendingLength, chunk.length - offset);
      this.pending.push(chunk.subarray(offset, offset + take));
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === this.need) this.advance(Buffer.concat(this.pending, this.pendingLength));
    }
  }

  /** Call at the end of the body; returns the two parts or throws when the body was cut short. */
  finish(): PublishFrame {
    if (this.stage !== 'done' || !this.json || !this.crate) {
      throw badRequest(`the upload is shorter than its declared lengths (truncated while reading the ${this.describeStage()})`);
    }
    return { json: this.json, crate: this.crate };
  }

  private advance(part: Buffer): void {
    this.pending = [];
    this.pendingLength = 0;
    switch (this.stage) {
      case 'json-len': {
        const len = part.readUInt32LE(0);
        if (len === 0) throw badRequest('the upload metadata is empty');
        if (len > this.limits.maxJsonSize) {
          throw tooLarge(`the upload metadata is ${len} bytes, over the limit of ${this.limits.maxJsonSize} bytes`);
        }
        this.stage = 'json';
        this.need = len;
        return;
      }
      case 'json':
        this.json = part;
        this.crateLimit = Math.min(this.limits.maxCrateSize, this.limits.crateLimitFor?.(part) ?? this.limits.maxCrateSize);
        this.stage = 'crate-len';
        this.need = 4;
        return;
      case 'crate-len': {
        const len = part.readUInt32LE(0);
        if (len === 0) throw badRequest('the .crate file is empty');
        if (len > this.crateLimit) {
          throw tooLarge(`the .crate file is ${formatBytes(len)}, over the limit of ${formatBytes(this.crateLimit)} for this crate`);
        }
        this.stage = 'crate';
        this.need = len;
        return;
      }
      case 'crate':
        this.crate = part;
        this.stage = 'done';
        this.need = 0;
        return;
      case 'done':
        return;
    }
  }

  private describeStage(): string {
    switch (this.stage) {
      case 'json-len':
        return 'metadata length';
      case 'json':
        return 'metadata';
      case 'crate-len':
        return '.crate length';
      default:
        return '.crate file';
    }
  }
}

/** `10 MB (10485760 bytes)`: readable, and exact for whoever compares it with a file size. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (n >= size) {
      const value = n / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit} (${n} bytes)`;
    }
  }
  return `${n} bytes`;
}
