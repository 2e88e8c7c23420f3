/**
 * Walks two JSON schemas of one answer side by side: Wharf's (what it may send) and another
 * registry's (what its clients accept). Every answer Wharf's schema allows must be one the other
 * accepts, as far as the structure goes: each property the other requires is always sent, with a
 * type (and nullability, enum and item shape) the other allows.
 */

export type Json = Record<string, unknown>;

export interface SchemaSide {
  schema: Json;
  /** The named schemas `$ref`s point into, by name. */
  defs: Record<string, Json>;
  /** What a `$ref` starts with before the name (`#/components/schemas/`). */
  prefix: string;
}

const MAX_DEPTH = 12;

function resolve(side: SchemaSide, schema: Json): Json {
  let s = schema;
  for (let hops = 0; typeof s.$ref === 'string' && hops < 10; hops++) {
    const ref = s.$ref;
    if (!ref.startsWith(side.prefix)) throw new Error(`unexpected $ref ${ref}`);
    const target = side.defs[ref.slice(side.prefix.length)];
    if (!target) throw new Error(`no schema for $ref ${ref}`);
    s = target;
  }
  return s;
}

/** The alternatives a schema allows (its oneOf/anyOf branches, or itself). */
function alternatives(side: SchemaSide, schema: Json): Json[] {
  const s = resolve(side, schema);
  const branches = (s.oneOf ?? s.anyOf) as Json[] | undefined;
  return branches ? branches.flatMap((b) => alternatives(side, b)) : [s];
}

const typesOf = (s: Json): string[] | null => (s.type === undefined ? null : [s.type].flat() as string[]);

/** Problems of Wharf's `ours` against their `theirs`, at `path`; empty when compatible. */
function walk(ours: SchemaSide, oursSchema: Json, theirs: SchemaSide, theirsSchema: Json, path: string, depth: number): string[] {
  if (depth > MAX_DEPTH) return [];
  const theirBranches = alternatives(theirs, theirsSchema);
  const problems: string[] = [];
  for (const mine of alternatives(ours, oursSchema)) {
    // One of their branches must take this alternative of ours; the closest one's problems are told.
    let best: string[] | null = null;
    for (const branch of theirBranches) {
      const found = walkOne(ours, mine, theirs, branch, path, depth);
      if (best === null || found.length < best.length) best = found;
      if (found.length === 0) break;
    }
    problems.push(...(best ?? []));
  }
  return [...new Set(problems)];
}

function walkOne(ours: SchemaSide, mine: Json, theirs: SchemaSide, their: Json, path: string, depth: number): string[] {
  const at = path === '' ? '(answer)' : path;
  const theirTypes = typesOf(their);
  const myTypes = typesOf(mine);
  if (theirTypes !== null) {
    if (myTypes === null) return [`${at}: Wharf's type is open, crates.io expects ${theirTypes.join(' or ')}`];
    for (const type of myTypes) {
      const taken = theirTypes.includes(type) || (type === 'integer' && theirTypes.includes('number'));
      if (!taken) {
        return [type === 'null' ? `${at}: Wharf may send null, crates.io expects ${theirTypes.join(' or ')}` : `${at}: Wharf sends ${type}, crates.io expects ${theirTypes.join(' or ')}`];
      }
    }
  }
  if (Array.isArray(their.enum)) {
    const mine_ = (mine.enum as unknown[] | undefined) ?? (mine.const !== undefined ? [mine.const] : undefined);
    const extra = mine_ ? mine_.filter((v) => !(their.enum as unknown[]).includes(v)) : null;
    if (extra === null) return [`${at}: crates.io allows only ${JSON.stringify(their.enum)}, Wharf's value is open`];
    if (extra.length > 0) return [`${at}: Wharf may send ${JSON.stringify(extra)}, not among crates.io's ${JSON.stringify(their.enum)}`];
  }
  if (their.format === 'date-time' && mine.format !== 'date-time' && (myTypes ?? []).includes('string')) {
    return [`${at}: crates.io expects a date-time, Wharf's string is not declared one`];
  }
  const problems: string[] = [];
  const theirProps = (their.properties ?? {}) as Record<string, Json>;
  const myProps = (mine.properties ?? {}) as Record<string, Json>;
  const myRequired = new Set((mine.required ?? []) as string[]);
  for (const name of (their.required ?? []) as string[]) {
    if (!(name in myProps) || !myRequired.has(name)) problems.push(`${path === '' ? '' : `${path}.`}${name}: required by crates.io, not always sent by Wharf`);
  }
  for (const [name, theirProp] of Object.entries(theirProps)) {
    if (name in myProps) problems.push(...walk(ours, myProps[name]!, theirs, theirProp, path === '' ? name : `${path}.${name}`, depth + 1));
  }
  if (their.items && typeof their.items === 'object') {
    if (!mine.items) problems.push(`${at}: crates.io describes the items, Wharf does not`);
    else problems.push(...walk(ours, mine.items as Json, theirs, their.items as Json, `${path}[]`, depth + 1));
  }
  if (their.additionalProperties && typeof their.additionalProperties === 'object') {
    if (typeof mine.additionalProperties !== 'object') problems.push(`${at}: crates.io describes the map's values, Wharf does not`);
    else problems.push(...walk(ours, mine.additionalProperties as Json, theirs, their.additionalProperties as Json, `${path}{}`, depth + 1));
  }
  return problems;
}

export function compatibilityProblems(ours: SchemaSide, theirs: SchemaSide): string[] {
  return walk(ours, ours.schema, theirs, theirs.schema, '', 0);
}
