// Fills a registry fast by writing rows in bulk through Wharf's own database layer (the
// compiled Kysely setup and migrations), with the shape a publish leaves behind: crate, owner,
// versions, dependencies and an audit row per version. No .crate files are written: the
// benchmarks that use seeded crates read index files, search and publish, never download them.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const mod = (build, path) => import(pathToFileURL(join(build, path)).href);

/** Opens the data directory's database with Wharf's code and migrates it. */
export async function openRegistryDb(build, dataDir) {
  const { loadConfig } = await mod(build, 'config/config.js');
  const { openContext, prepareDatabase } = await mod(build, 'bootstrap.js');
  const emptyConfig = join(dataDir, 'seed.toml');
  writeFileSync(emptyConfig, '');
  const ctx = openContext(loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_CONFIG: emptyConfig }));
  await prepareDatabase(ctx, { migrate: true });
  return ctx.db;
}

const canonical = (name) => name.toLowerCase().replaceAll('-', '_');
const chunks = (list, size) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

/**
 * Inserts `crates` ([{ name, description, keywords, downloads, versions: [{ num, deps: [{ name,
 * req, kind?, optional? }] }] }]) owned by `login`. Dependencies must name crates inserted
 * earlier (in this call or before).
 */
export async function seedCrates(db, login, crates, { batch = 400, startMs = Date.parse('2024-01-01T00:00:00Z') } = {}) {
  const user = await db.selectFrom('users').select('id').where('login', '=', login).executeTakeFirstOrThrow();
  let clock = startMs;
  const at = () => new Date(clock++).toISOString();
  let versions = 0;
  for (const group of chunks(crates, batch)) {
    await db.transaction().execute(async (tx) => {
      const now = at();
      const inserted = await tx
        .insertInto('crates')
        .values(
          group.map((c) => ({
            name: c.name,
            canonical_name: canonical(c.name),
            description: c.description ?? null,
            homepage: null,
            documentation: null,
            repository: `https://example.invalid/${c.name}`,
            readme: null,
            keywords: JSON.stringify(c.keywords ?? []),
            categories: '[]',
            downloads: c.downloads ?? 0,
            created_at: now,
            updated_at: now,
          })),
        )
        .returning(['id', 'name'])
        .execute();
      const idOf = new Map(inserted.map((r) => [r.name, r.id]));
      await tx
        .insertInto('crate_owners')
        .values(inserted.map((r) => ({ crate_id: r.id, user_id: user.id, created_at: now, created_by: user.id })))
        .execute();

      const vrows = group.flatMap((c) =>
        c.versions.map((v) => ({
          crate_id: idOf.get(c.name),
          num: v.num,
          num_no_build: v.num,
          checksum: randomBytes(32).toString('hex'),
          features: JSON.stringify(v.features ?? {}),
          links: null,
          rust_version: '1.70',
          license: 'MIT OR Apache-2.0',
          description: c.description ?? null,
          crate_size: 20_000,
          yanked: 0,
          downloads: 0,
          published_by: user.id,
          created_at: at(),
          updated_at: now,
        })),
      );
      const vids = new Map();
      for (const part of chunks(vrows, 1000)) {
        for (const r of await tx.insertInto('versions').values(part).returning(['id', 'crate_id', 'num']).execute()) vids.set(`${r.crate_id}@${r.num}`, r.id);
      }
      const drows = group.flatMap((c) =>
        c.versions.flatMap((v) =>
          (v.deps ?? []).map((d) => ({
            version_id: vids.get(`${idOf.get(c.name)}@${v.num}`),
            name: d.name,
            explicit_name: null,
            req: d.req,
            features: '[]',
            optional: d.optional ? 1 : 0,
            default_features: 1,
            target: null,
            kind: d.kind ?? 'normal',
            registry: null,
          })),
        ),
      );
      for (const part of chunks(drows, 2000)) await tx.insertInto('dependencies').values(part).execute();
      const arows = group.flatMap((c) =>
        c.versions.map((v) => ({
          action: 'crate.publish',
          user_id: user.id,
          token_id: null,
          crate_name: c.name,
          version: v.num,
          detail: JSON.stringify({ new_crate: false, seeded: true }),
          created_at: now,
        })),
      );
      for (const part of chunks(arows, 2000)) await tx.insertInto('audit_log').values(part).execute();
      versions += vrows.length;
    });
  }
  return versions;
}

export async function countRows(db) {
  const n = async (table) => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { crates: await n('crates'), versions: await n('versions'), dependencies: await n('dependencies') };
}
