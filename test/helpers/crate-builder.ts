import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export interface CrateSpec {
  name: string;
  vers: string;
  deps?: Array<Record<string, unknown>>;
  features?: Record<string, string[]>;
  description?: string | null;
  keywords?: string[];
  readme?: string | null;
  /** Overrides of metadata fields, for tests of hostile input. */
  meta?: Record<string, unknown>;
  /** Extra or replacement tar entries. */
  files?: Record<string, string>;
  manifest?: string;
}

/** The JSON metadata cargo 1.95 sends for `spec`. */
export function metadataFor(spec: CrateSpec): Record<string, unknown> {
  return {
    name: spec.name,
    vers: spec.vers,
    deps: spec.deps ?? [],
    features: spec.features ?? {},
    authors: [],
    description: spec.description ?? `The ${spec.name} crate`,
    documentation: null,
    homepage: null,
    readme: spec.readme ?? null,
    readme_file: null,
    keywords: spec.keywords ?? [],
    categories: [],
    license: 'MIT',
    license_file: null,
    repository: null,
    badges: {},
    links: null,
    rust_version: null,
    ...spec.meta,
  };
}

/** A .crate file: a gzip'd tar under `{name}-{vers}/`. */
export async function crateTarball(spec: CrateSpec): Promise<Buffer> {
  const prefix = `${spec.name}-${spec.vers}`;
  const files: Record<string, string> = {
    'Cargo.toml': spec.manifest ?? `[package]\nname = "${spec.name}"\nversion = "${spec.vers}"\nedition = "2021"\n`,
    'src/lib.rs': 'pub fn hello() {}\n',
    ...spec.files,
  };
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => tar.on('end', () => resolve()));
  for (const [path, body] of Object.entries(files)) tar.entry({ name: `${prefix}/${path}` }, body);
  tar.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** The publish body: u32 LE json length, json, u32 LE crate length, crate. */
export function publishFrame(json: Buffer | string, crate: Buffer): Buffer {
  const j = Buffer.isBuffer(json) ? json : Buffer.from(json);
  const a = Buffer.alloc(4);
  a.writeUInt32LE(j.length);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crate.length);
  return Buffer.concat([a, j, b, crate]);
}

export async function publishBody(spec: CrateSpec): Promise<Buffer> {
  return publishFrame(JSON.stringify(metadataFor(spec)), await crateTarball(spec));
}

/** A dependency of the publish metadata, as cargo sends one: `^1`-style requirement, normal kind. */
export function dependencySpec(name: string, req: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, version_req: req, features: [], optional: false, default_features: true, target: null, kind: 'normal', ...extra };
}
