import { Readable } from 'node:stream';

/** Where .crate files live. Keys are relative, slash-separated paths made by keys.ts. */
export interface BlobStore {
  /** Stores `data` under `key` atomically: a reader sees the whole file or nothing. */
  put(key: string, data: Buffer): Promise<void>;
  /**
   * A stream of the file and its size, or null when it does not exist. A store that read a small
   * file whole also gives its `bytes`, which a server sends faster than a stream.
   */
  get(key: string): Promise<BlobFile | null>;
  /**
   * The whole file when the store can read it without waiting (a small local file); undefined
   * when it cannot say at once (a large or remote file, a missing one, an error), for `get` to
   * answer. Optional: a store without it is always asked through `get`.
   */
  readNow?(key: string): Buffer | undefined;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * Every stored key that starts with `prefix`, unfinished temporary files included, with its
   * size and last change: what `wharf check` compares with the database to find orphans.
   */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** Size and last change of one key, or null when it does not exist. */
  stat(key: string): Promise<BlobInfo | null>;
  /**
   * A short-lived URL from which anyone holding it can GET the file, sent as `filename`; only a
   * remote store that can sign one has it (`downloads = "redirect"`). It does not look whether the
   * file exists.
   */
  signedUrl?(key: string, filename: string): Promise<string>;
  /**
   * Checks that the store can be used at all (the bucket exists and the credentials are taken);
   * throws an AppError that says what is wrong. Only a remote store has it: `wharf serve` asks
   * before it listens, as it checks the database.
   */
  probe?(): Promise<void>;
  /** Lets go of connections (a remote store's keep-alive sockets would keep a command's process alive). */
  close?(): void;
}

export interface BlobInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** What `get` answers for a file already read whole: its bytes, and a stream of them made on demand. */
export interface BlobFile {
  stream: Readable;
  size: number;
  bytes?: Buffer;
}

export function wholeBlob(bytes: Buffer): BlobFile {
  return {
    bytes,
    size: bytes.length,
    get stream() {
      return Readable.from([bytes], { objectMode: false });
    },
  };
}
