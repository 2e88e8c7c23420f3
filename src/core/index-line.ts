/**
 * The sparse index format (RFC 2789): where a crate's file lives and what each line holds.
 * Pure: knows nothing about the database. A crate's file is always rendered whole.
 */

export type DependencyKind = 'normal' | 'build' | 'dev';

export interface IndexDependency {
  /** The real package name. */
  name: string;
  /** The name used in Cargo.toml when renamed (`explicit_name_in_toml`). */
  explicitName: string | null;
  req: string;
  features: readonly string[];
  optional: boolean;
  defaultFeatures: boolean;
  target: string | null;
  kind: DependencyKind;
  /** Index URL of another registry; null means this registry. */
  registry: string | null;
}

export interface IndexVersion {
  name: string;
  vers: string;
  deps: readonly IndexDependency[];
  cksum: string;
  features: Readonly<Record<string, readonly string[]>>;
  yanked: boolean;
  links: string | null;
  rustVersion: string | null;
  /** When the version was published. */
  publishedAt: Date;
}

/** The path of a crate's index file below the index root: `1/a`, `2/ab`, `3/a/abc`, `ca/rg/cargo`. */
export function indexPath(name: string): string {
  const lower = name.toLowerCase();
  switch (lower.length) {
    case 0:
      throw new Error('empty crate name');
    case 1:
      return `1/${lower}`;
    case 2:
      return `2/${lower}`;
    case 3:
      return `3/${lower[0]}/${lower}`;
    default:
      return `${lower.slice(0, 2)}/${lower.slice(2, 4)}/${lower}`;
  }
}

/** Features using the newer syntax (`dep:x`, `x?/f`) go to `features2`, so older cargos keep working. */
function splitFeatures(features: IndexVersion['features']): [Record<string, string[]>, Record<string, string[]>] {
  const plain: Record<string, string[]> = {};
  const extended: Record<string, string[]> = {};
  for (const key of Object.keys(features).sort()) {
    const values = [...(features[key] ?? [])];
    const isExtended = values.some((v) => v.startsWith('dep:') || v.includes('?/'));
    (isExtended ? extended : plain)[key] = values;
  }
  return [plain, extended];
}

function compareDeps(a: IndexDependency, b: IndexDependency): number {
  const an = a.explicitName ?? a.name;
  const bn = b.explicitName ?? b.name;
  if (an !== bn) return an < bn ? -1 : 1;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  const at = a.target ?? '';
  const bt = b.target ?? '';
  return at === bt ? 0 : at < bt ? -1 : 1;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the only form cargo accepts for `pubtime`. */
export function formatPubtime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** One line of the index file (no trailing newline). Key order is fixed so equal data gives equal bytes. */
export function renderIndexLine(v: IndexVersion): string {
  const deps = [...v.deps].sort(compareDeps).map((d) => {
    const renamed = d.explicitName !== null && d.explicitName !== d.name;
    return {
      name: renamed ? d.explicitName : d.name,
      req: d.req,
      features: [...d.features],
      optional: d.optional,
      default_features: d.defaultFeatures,
      target: d.target,
      kind: d.kind,
      ...(d.registry !== null ? { registry: d.registry } : {}),
      ...(renamed ? { package: d.name } : {}),
    };
  });
  const [features, features2] = splitFeatures(v.features);
  const hasFeatures2 = Object.keys(features2).length > 0;
  return JSON.stringify({
    name: v.name,
    vers: v.vers,
    deps,
    cksum: v.cksum,
    features,
    yanked: v.yanked,
    ...(v.links !== null ? { links: v.links } : {}),
    ...(v.rustVersion !== null ? { rust_version: v.rustVersion } : {}),
    ...(hasFeatures2 ? { features2, v: 2 } : {}),
    pubtime: formatPubtime(v.publishedAt),
  });
}

/** The whole index file: one line per version, in publish order, each ending in a newline. */
export function renderIndexFile(versions: readonly IndexVersion[]): string {
  return versions.map((v) => `${renderIndexLine(v)}\n`).join('');
}
