import { canonicalCrateName } from '../core/crate-name.js';

/**
 * The blob key of a version's .crate file. It carries part of the checksum, so two racing
 * uploads of the same version with different bytes can never overwrite each other's file.
 */
export function crateFileKey(name: string, version: string, checksum: string): string {
  const folder = canonicalCrateName(name);
  return `crates/${folder}/${name.toLowerCase()}-${version}-${checksum.slice(0, 16)}.crate`;
}
