import type { Config } from '../config/config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { describeBucket, S3BlobStore, s3OptionsFromConfig } from './s3-blob-store.js';

/** The store `storage` names: the data folder, or the configured bucket. */
export function openBlobStore(config: Config): BlobStore {
  return config.storage === 's3' ? new S3BlobStore(s3OptionsFromConfig(config)) : new FsBlobStore(config.dataDir);
}

/** Where the crate files are, for the line every command prints and for error messages. */
export function describeBlobStore(config: Config): string {
  if (config.storage !== 's3') return `the data folder ${config.dataDir}`;
  return `the ${describeBucket(s3OptionsFromConfig(config))}`;
}
