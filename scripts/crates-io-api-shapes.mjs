#!/usr/bin/env node
// Reads crates.io's OpenAPI description (the insta snapshot its own test keeps) and writes the
// structural facts of the answers Wharf must match: for each route both registries serve, the
// JSON schema of its success answer, reduced to names, types, `required`, nullability, items and
// formats. Prose (descriptions, examples, titles) is dropped: the fixture holds facts, not text.
//
//   node scripts/crates-io-api-shapes.mjs <crates.io checkout or snapshot file> [commit]
//
// With a bare git directory and a commit, the snapshot is read with `git show`.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SNAPSHOT = 'src/tests/snapshots/integration__openapi__openapi_snapshot-2.snap';
const OUT = fileURLToPath(new URL('../test/fixtures/crates-io-api-shapes.json', import.meta.url));

/**
 * The crates.io routes Wharf serves too (crates.io's path spelling); the README lists the others.
 * Some routes both serve have no entry in crates.io's description, so none here: the invitation
 * lists (`GET /api/v1/me/crate_owner_invitations`, `GET /api/private/crate_owner_invitations`)
 * and `DELETE /api/v1/crates/{name}`; the compatibility test checks those against Wharf's own.
 */
const SHARED_ROUTES = [
  'GET /api/v1/categories',
  'GET /api/v1/categories/{category}',
  'GET /api/v1/category_slugs',
  'GET /api/v1/crates',
  'PUT /api/v1/crates/new',
  'GET /api/v1/crates/{name}',
  'PATCH /api/v1/crates/{name}',
  'GET /api/v1/crates/{name}/downloads',
  'GET /api/v1/crates/{name}/owner_team',
  'GET /api/v1/crates/{name}/owner_user',
  'GET /api/v1/crates/{name}/owners',
  'PUT /api/v1/crates/{name}/owners',
  'DELETE /api/v1/crates/{name}/owners',
  'GET /api/v1/crates/{name}/reverse_dependencies',
  'GET /api/v1/crates/{name}/versions',
  'GET /api/v1/crates/{name}/{version}',
  'PATCH /api/v1/crates/{name}/{version}',
  'GET /api/v1/crates/{name}/{version}/authors',
  'GET /api/v1/crates/{name}/{version}/dependencies',
  'GET /api/v1/crates/{name}/{version}/download',
  'GET /api/v1/crates/{name}/{version}/downloads',
  'GET /api/v1/crates/{name}/{version}/readme',
  'PUT /api/v1/crates/{name}/{version}/unyank',
  'DELETE /api/v1/crates/{name}/{version}/yank',
  'GET /api/v1/keywords',
  'GET /api/v1/keywords/{keyword}',
  'PUT /api/v1/me/crate_owner_invitations/accept/{token}',
  'PUT /api/v1/me/crate_owner_invitations/{crate_id}',
  'GET /api/v1/me/tokens/{id}',
  'DELETE /api/v1/me/tokens/{id}',
  'GET /api/v1/site_metadata',
  'GET /api/v1/summary',
  'DELETE /api/v1/tokens/current',
  'GET /api/v1/trusted_publishing/github_configs',
  'POST /api/v1/trusted_publishing/github_configs',
  'DELETE /api/v1/trusted_publishing/github_configs/{id}',
  'GET /api/v1/trusted_publishing/gitlab_configs',
  'POST /api/v1/trusted_publishing/gitlab_configs',
  'DELETE /api/v1/trusted_publishing/gitlab_configs/{id}',
  'POST /api/v1/trusted_publishing/tokens',
  'DELETE /api/v1/trusted_publishing/tokens',
  'GET /api/v1/users/{user}',
];

/** The schema keywords that state structure; every other keyword (prose, examples) is dropped. */
const STRUCTURAL = new Set([
  'type', 'properties', 'required', 'items', 'additionalProperties', 'propertyNames', 'enum', 'const',
  'oneOf', 'anyOf', 'allOf', 'format', 'minimum', 'maximum', 'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', '$ref',
]);

function readSnapshot(source, commit) {
  if (statSync(source).isDirectory()) {
    if (!commit) throw new Error('a git directory needs a commit');
    return execFileSync('git', ['--git-dir', source, 'show', `${commit}:${SNAPSHOT}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  }
  return readFileSync(source, 'utf8');
}

/** An insta snapshot is a YAML header between `---` lines, then the value itself. */
function parseSnapshot(text) {
  const start = text.indexOf('\n---\n');
  if (!text.startsWith('---\n') || start < 0) throw new Error('not an insta snapshot: no YAML header');
  return JSON.parse(text.slice(start + 5));
}

const refName = (ref) => {
  const m = /^#\/components\/schemas\/([A-Za-z0-9_]+)$/.exec(ref);
  if (!m) throw new Error(`unexpected $ref ${ref}`);
  return m[1];
};

/** The schema with prose removed and component refs pointing into the fixture's own `$defs`; `used` collects them. */
function reduce(schema, used) {
  if (Array.isArray(schema)) return schema.map((s) => reduce(s, used));
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!STRUCTURAL.has(key)) continue;
    if (key === '$ref') {
      const name = refName(value);
      used.add(name);
      out.$ref = `#/$defs/${name}`;
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, reduce(s, used)]));
    } else if (key === 'enum' || key === 'required' || key === 'const') {
      out[key] = value;
    } else {
      out[key] = reduce(value, used);
    }
  }
  // `{"$ref": ..., "description": ...}` reduces to the ref alone; allOf of one ref likewise.
  if (out.allOf && out.allOf.length === 1 && Object.keys(out).length === 1) return out.allOf[0];
  return out;
}

function main() {
  const [source, commit] = process.argv.slice(2);
  if (!source) {
    console.error('usage: node scripts/crates-io-api-shapes.mjs <crates.io git dir or snapshot file> [commit]');
    process.exit(2);
  }
  const api = parseSnapshot(readSnapshot(source, commit));
  const components = api.components?.schemas ?? {};
  const used = new Set();
  const routes = {};
  for (const route of SHARED_ROUTES) {
    const [method, path] = route.split(' ');
    const op = api.paths?.[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`crates.io's description has no ${route}`);
    const status = Object.keys(op.responses ?? {}).find((s) => /^2\d\d$/.test(s));
    const json = op.responses?.[status]?.content?.['application/json']?.schema;
    routes[route] = { status: Number(status), schema: json ? reduce(json, used) : null };
  }
  // Components reach further components: close over them.
  const defs = {};
  const pending = [...used];
  while (pending.length > 0) {
    const name = pending.pop();
    if (defs[name]) continue;
    if (!components[name]) throw new Error(`crates.io's description has no component ${name}`);
    const more = new Set();
    defs[name] = reduce(components[name], more);
    for (const m of more) if (!defs[m]) pending.push(m);
  }
  const fixture = {
    source: {
      repository: 'https://github.com/rust-lang/crates.io',
      file: SNAPSHOT,
      commit: commit ?? null,
      licence: 'MIT OR Apache-2.0 (LICENSE-MIT and LICENSE-APACHE in that repository)',
      extracted_by: 'scripts/crates-io-api-shapes.mjs: structural facts of the success answers only (no descriptions or examples)',
    },
    $defs: Object.fromEntries(Object.keys(defs).sort().map((k) => [k, defs[k]])),
    routes,
  };
  writeFileSync(OUT, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${Object.keys(routes).length} routes and ${Object.keys(defs).length} shared shapes to ${OUT}`);
}

main();
