import { posix } from 'node:path';
import { readCrateFiles, parseVcsInfo } from '../../core/crate-file.js';
import type { CrateRow, VersionRow } from '../../db/repositories/crate.repository.js';
import { crateFileKey } from '../../storage/keys.js';
import type { ServiceContext } from '../context.js';
import type { ReadmeContext } from './readme-links.js';

/** A README to render: its Markdown and what its relative links resolve against. */
export interface ReadmeInput {
  source: string;
  context: ReadmeContext | null;
}

const VCS_INFO = '.cargo_vcs_info.json';
/** Larger READMEs are not read back from a .crate (publish metadata bounds the ones it sends). */
const MAX_README_BYTES = 10 * 1024 * 1024;

/** Where the README named `readmeFile` lies in the package: its path, or its name at the root when it lies outside (cargo copies it there). */
export function readmeInPackage(readmeFile: string | null): string {
  if (!readmeFile) return 'README.md';
  const path = posix.normalize(readmeFile.replace(/\\/g, '/')).replace(/^\.\//, '');
  return path.startsWith('../') || path.startsWith('/') ? posix.basename(path) : path;
}

/** The link context of an upload, from its files (`{name}-{version}/...`) and its `.cargo_vcs_info.json`. */
export function readmeContext(crate: string, version: string, readmeFile: string | null, repository: string | null, files: readonly string[], vcsInfo: Buffer | undefined): ReadmeContext {
  const { commit, pathInVcs } = parseVcsInfo(vcsInfo);
  return { crate, version, readmePath: readmeFile, repository, commit, pathInVcs, files };
}

/** A version's .crate file, whole, from the blob store; null when it is missing. */
export async function crateBytes(ctx: ServiceContext, crateName: string, version: Pick<VersionRow, 'num' | 'checksum'>): Promise<Buffer | null> {
  const found = await ctx.blobs.get(crateFileKey(crateName, version.num, version.checksum));
  if (!found) return null;
  if (found.bytes) return found.bytes;
  const chunks: Buffer[] = [];
  for await (const chunk of found.stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The README of a version read back from its .crate, for a version whose render was not stored
 * at publish: the file its `readme_file` names (for versions published before Wharf kept that,
 * the crate's README when this is its highest version, else `README.md`). Null: none.
 */
export async function readmeFromCrate(ctx: ServiceContext, crate: CrateRow, version: VersionRow, isHighest: boolean): Promise<ReadmeInput | null> {
  const bytes = await crateBytes(ctx, crate.name, version);
  if (!bytes) return null;
  const readmePath = readmeInPackage(version.readme_file);
  const found = await readCrateFiles(bytes, `${crate.name}-${version.num}/`, (p) => p === readmePath || p === VCS_INFO, MAX_README_BYTES, ctx.config.maxUnpackedSize);
  const legacy = version.readme_file === null && isHighest ? crate.readme : null;
  const source = legacy ?? found.contents.get(readmePath)?.toString('utf8') ?? null;
  if (source === null) return null;
  return { source, context: readmeContext(crate.name, version.num, version.readme_file, version.repository ?? crate.repository, found.files, found.contents.get(VCS_INFO)) };
}
