import { AppError } from '../../src/core/errors.js';
import { inspectCrateTarball } from '../../src/core/tarball.js';
import { cargoUnpackModel } from './cargo-unpack-model.js';

/** An uploaded `.crate` with the name and version it was published under. */
export interface ArchiveUnderTest {
  crate: Buffer;
  name: string;
  version: string;
}

export interface Agreement {
  /** Wharf's tarball check accepted the archive; then `files` and `dirs` are what it checked. */
  accepted: boolean;
  files: string[];
  dirs: string[];
  /** Why Wharf's view and cargo's (the reference model) differ, or null when they agree. */
  problem: string | null;
}

/**
 * Holds Wharf's tarball check against the reference model of cargo's unpacking: an archive Wharf
 * accepts must unpack without error into exactly the files and directories Wharf checked.
 */
export async function archiveAgreement(archive: ArchiveUnderTest, maxUnpackedSize: number): Promise<Agreement> {
  const { crate, name, version } = archive;
  let checked;
  try {
    checked = await inspectCrateTarball(crate, { name, version }, { maxUnpackedSize });
  } catch (err) {
    if (err instanceof AppError) return { accepted: false, files: [], dirs: [], problem: null };
    throw err;
  }
  const files = [...checked.files].sort();
  const dirs = checked.directories;
  const model = cargoUnpackModel(crate, `${name}-${version}`);
  let problem: string | null = null;
  if (!model.ok) problem = `Wharf accepted an archive cargo cannot unpack (${model.why})`;
  else problem = listDifference('files', files, model.files) ?? listDifference('directories', dirs, model.dirs);
  return { accepted: true, files, dirs, problem };
}

/** Null when the sorted lists are equal, else what only one side has. */
export function listDifference(what: string, wharf: readonly string[], cargo: readonly string[]): string | null {
  const onlyWharf = wharf.filter((p) => !cargo.includes(p));
  const onlyCargo = cargo.filter((p) => !wharf.includes(p));
  if (onlyWharf.length === 0 && onlyCargo.length === 0 && wharf.length === cargo.length) return null;
  const show = (list: string[]) => JSON.stringify(list.slice(0, 5).map((p) => p.slice(0, 120)));
  return `${what} differ: only Wharf saw ${show(onlyWharf)}, only cargo unpacks ${show(onlyCargo)}`;
}
