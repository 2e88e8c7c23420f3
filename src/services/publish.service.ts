import { createHash } from 'node:crypto';
import { canonicalCrateName } from '../core/crate-name.js';
import { badRequest, conflict, forbidden, tooLarge } from '../core/errors.js';
import { formatBytes } from '../core/publish-frame.js';
import { featureCountProblem, type MetadataLimits, type PublishMetadata, validatePublishMetadata } from '../core/publish-metadata.js';
import { withoutBuild } from '../core/semver.js';
import { isAboveAll } from '../core/version-order.js';
import { storageFailure } from '../core/storage-failure.js';
import { findUnstorable } from '../core/storable-text.js';
import { type CrateTargets, crateTargets } from '../core/crate-targets.js';
import { inspectCrateTarball } from '../core/tarball.js';
import type { Db } from '../db/create-db.js';
import {
  existingCanonicalNames,
  findCrateByCanonicalName,
  findVersion,
  listVersionKeys,
  refreshVersionSummary,
  type CrateRow,
} from '../db/repositories/crate.repository.js';
import { replaceCrateCategories } from '../db/repositories/category.repository.js';
import { replaceCrateKeywords } from '../db/repositories/keyword.repository.js';
import { sortCategories } from './category.service.js';
import { insertReadme } from '../db/repositories/readme.repository.js';
import { readCrateFiles } from '../core/crate-file.js';
import { readmeContext } from './readme/readme-input.js';
import { crateFileKey } from '../storage/keys.js';
import { type Actor, auditIdentity, requireScope } from './actor.js';
import { notifyPublished } from './mail/mail-queue.js';
import { recordAudit } from './audit.service.js';
import { recordIndexChange } from './change-feed.service.js';
import type { ServiceContext } from './context.js';
import { requireOwnerRights } from './owners/rights.js';
import { refuseReservedName } from './crate-deletion/crate-deletion.service.js';
import { crateSummary, type CrateSummary } from './crate-summary.js';
import { type CrateLimits, limitsOf } from './crate-limits.service.js';
import type { PublishLimits } from './publish-limits.js';
import { NO_README, type PreparedReadme, type Readmes } from './readme/readme.service.js';

export interface PublishResult {
  crate: string;
  /** The crate as crates.io's lists show it, after this publish (crates.io's publish answer). */
  summary: CrateSummary | null;
  version: string;
  created: boolean;
  warnings: { invalid_categories: string[]; invalid_badges: string[]; other: string[] };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseMetadataJson(json: Buffer, limits?: MetadataLimits): PublishMetadata {
  let text: string;
  try {
    text = utf8.decode(json);
  } catch {
    throw badRequest('invalid upload metadata: not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`invalid upload metadata: not valid JSON (${(err as Error).message})`);
  }
  // Every string of the metadata, keys included, before any rule reads it.
  const unstorable = findUnstorable(parsed);
  if (unstorable) throw badRequest(`invalid upload metadata: ${unstorable}`);
  return validatePublishMetadata(parsed, limits);
}

/**
 * Publishes one version: validate everything, store the file, then record the version in ONE
 * transaction. The file is written first, so an index line (rendered from the database) never
 * exists without its file; a failed transaction removes the file again.
 */
export async function publishVersion(
  ctx: ServiceContext,
  actor: Actor,
  frame: { json: Buffer; crate: Buffer },
  limits?: PublishLimits,
  readmes?: Readmes,
  metadataLimits: MetadataLimits = ctx.config,
): Promise<PublishResult> {
  const meta = parseMetadataJson(frame.json, metadataLimits);
  const existing = await findCrateByCanonicalName(ctx.db, meta.name);
  await authorizePublish(ctx.db, actor, meta, existing);
  if (existing) await refuseExistingVersion(ctx.db, existing, meta.vers);
  else await refuseReservedName(ctx.db, ctx.clock.now().toISOString(), meta.name);
  const crateLimits = limitsOf(ctx, existing);
  refuseOverLimits(meta, frame.crate, crateLimits);
  await refuseMissingDependencies(ctx.db, meta);

  // Charged before the expensive part, refunded when the upload is refused after all.
  const refund = await limits?.charge(actor, existing ? 'new-version' : 'new-crate');
  try {
    return await storeAndRecord(ctx, actor, meta, frame.crate, crateLimits, readmes);
  } catch (err) {
    await refund?.().catch(() => undefined);
    // A full disk or read-only data directory is the machine's state, not a fault of the upload: 507.
    throw storageFailure(err) ?? err;
  }
}

async function storeAndRecord(
  ctx: ServiceContext,
  actor: Actor,
  meta: PublishMetadata,
  crate: Buffer,
  limits: CrateLimits,
  readmes?: Readmes,
): Promise<PublishResult> {
  const tarball = await inspectCrateTarball(crate, { name: meta.name, version: meta.vers }, { maxUnpackedSize: limits.maxUnpackedSize });
  const targets = crateTargets(tarball.manifest.raw, tarball.files, `${meta.name}-${meta.vers}/`);
  const readme = await prepareReadme(ctx, meta, crate, tarball.files, limits.maxUnpackedSize, readmes);
  const checksum = createHash('sha256').update(crate).digest('hex');
  const key = crateFileKey(meta.name, meta.vers, checksum);
  await ctx.blobs.put(key, crate);

  try {
    // crates.io keeps only the categories on its list and warns about the others.
    const categories = await sortCategories(ctx.db, meta.categories);
    const created = await recordOnce(ctx, actor, { ...meta, categories: categories.valid }, { checksum, size: crate.length, readme, targets });
    const row = await findCrateByCanonicalName(ctx.db, meta.name);
    // Null only when an administrator deleted the crate in the instant since.
    const summary = row ? crateSummary(row) : null;
    return { crate: meta.name, summary, version: meta.vers, created, warnings: { invalid_categories: categories.invalid, invalid_badges: [], other: [] } };
  } catch (err) {
    await removeUnreferencedFile(ctx, meta, checksum, key);
    throw err;
  }
}

/**
 * Runs the recording transaction. When a concurrent publish created the same crate between our
 * checks and our insert, the upload is judged again as an update of that crate (so two racing
 * first publishes by one owner both land, and a racing duplicate version gets "already exists").
 */
async function recordOnce(
  ctx: ServiceContext,
  actor: Actor,
  meta: PublishMetadata,
  upload: UploadFacts,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction().execute((tx) => recordVersion(tx, ctx, actor, meta, upload));
    } catch (err) {
      if (attempt > 1 || !isCanonicalNameConflict(err)) throw translateConstraintError(err, meta);
      const existing = await findCrateByCanonicalName(ctx.db, meta.name);
      await authorizePublish(ctx.db, actor, meta, existing);
      if (existing) await refuseExistingVersion(ctx.db, existing, meta.vers);
    }
  }
}

async function authorizePublish(db: Db, actor: Actor, meta: PublishMetadata, existing: CrateRow | undefined): Promise<void> {
  if (!existing) {
    requireScope(actor, 'publish-new', meta.name);
    return;
  }
  if (existing.name !== meta.name) {
    throw conflict(`a crate named \`${existing.name}\` already exists; \`${meta.name}\` differs only in case or in \`-\`/\`_\``);
  }
  requireScope(actor, 'publish-update', meta.name);
  if (actor.trustpub) {
    // Names were checked above; the id too, so a crate deleted and re-created under the name is not the one configured.
    if (!actor.trustpub.crateIds.includes(existing.id)) throw forbidden(`this trusted-publishing token may not publish \`${existing.name}\``);
    return;
  }
  if (existing.trustpub_only) {
    throw forbidden(`\`${existing.name}\` accepts new versions only through trusted publishing; publish it from its configured CI workflow`);
  }
  await requireOwnerRights(db, existing, actor.userId, 'publish', `; ask an owner to run \`cargo owner --add ${actor.login}\``);
}

/** The crate's own limits (an override, or the registry's): the upload was read under the highest of them. */
function refuseOverLimits(meta: PublishMetadata, crate: Buffer, limits: CrateLimits): void {
  const problem = featureCountProblem(meta, limits.maxFeatures);
  if (problem) throw badRequest(problem);
  if (crate.length > limits.maxUploadSize) {
    throw tooLarge(`the .crate file is ${formatBytes(crate.length)}, over the limit of ${formatBytes(limits.maxUploadSize)} for \`${meta.name}\``);
  }
}

async function refuseExistingVersion(db: Db, crate: CrateRow, vers: string): Promise<void> {
  const bare = withoutBuild(vers);
  const clash = (await listVersionKeys(db, crate.id)).find((v) => withoutBuild(v.num) === bare);
  if (clash) throw conflict(`crate version \`${crate.name}@${clash.num}\` already exists`);
}

async function refuseMissingDependencies(db: Db, meta: PublishMetadata): Promise<void> {
  const local = meta.deps.filter((d) => d.registry === null);
  const found = await existingCanonicalNames(db, local.map((d) => d.name));
  const missing = local.filter((d) => !found.has(canonicalCrateName(d.name)));
  if (missing.length > 0) {
    throw badRequest(`no crate named ${missing.map((d) => `\`${d.name}\``).join(', ')} exists in this registry (a dependency of \`${meta.name}\`)`);
  }
}

/** What the upload itself tells, beyond its metadata. */
interface UploadFacts {
  checksum: string;
  size: number;
  readme: PreparedReadme | null;
  targets: CrateTargets;
}

/** Inserts the crate (when new), the version, its dependencies, the owner and the audit row. Returns true for a new crate. */
async function recordVersion(
  tx: Db,
  ctx: ServiceContext,
  actor: Actor,
  meta: PublishMetadata,
  { checksum, size, readme, targets }: UploadFacts,
): Promise<boolean> {
  const now = ctx.clock.now().toISOString();
  let crate = await findCrateByCanonicalName(tx, meta.name);
  const created = !crate;
  // Checked again here: a deletion may have committed since the first check.
  if (created) await refuseReservedName(tx, now, meta.name);
  // This version's metadata becomes the one the crate page shows.
  const showsReadme = !crate || isAboveAll(meta.vers, await listVersionKeys(tx, crate.id));
  if (!crate) {
    crate = await tx
      .insertInto('crates')
      .values({
        name: meta.name,
        canonical_name: canonicalCrateName(meta.name),
        ...crateMetadata(meta),
        downloads: 0,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await tx.insertInto('crate_owners').values({ crate_id: crate.id, user_id: actor.userId, created_at: now, created_by: actor.userId }).execute();
    await replaceCrateKeywords(tx, crate.id, meta.keywords, now);
    await replaceCrateCategories(tx, crate.id, meta.categories);
  } else if (showsReadme) {
    // The crate page shows the metadata of the highest version, as crates.io does.
    await tx
      .updateTable('crates')
      .set({ ...crateMetadata(meta), updated_at: now })
      .where('id', '=', crate.id)
      .execute();
    await replaceCrateKeywords(tx, crate.id, meta.keywords, now);
    await replaceCrateCategories(tx, crate.id, meta.categories);
  } else {
    await tx.updateTable('crates').set({ updated_at: now }).where('id', '=', crate.id).execute();
  }

  const version = await tx
    .insertInto('versions')
    .values({
      crate_id: crate.id,
      num: meta.vers,
      num_no_build: withoutBuild(meta.vers),
      checksum,
      features: JSON.stringify(meta.features),
      links: meta.links,
      rust_version: meta.rustVersion,
      license: meta.license,
      description: meta.description,
      homepage: meta.homepage,
      documentation: meta.documentation,
      repository: meta.repository,
      keywords: JSON.stringify(meta.keywords),
      readme_file: meta.readme === null ? null : meta.readmeFile,
      edition: targets.edition,
      has_lib: targets.hasLib ? 1 : 0,
      bin_names: JSON.stringify(targets.binNames),
      crate_size: size,
      yanked: 0,
      downloads: 0,
      published_by: auditIdentity(actor).userId,
      trustpub_data: actor.trustpub?.data ?? null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (meta.readme === null) await insertReadme(tx, { version_id: version.id, format: NO_README, html: '', created_at: now });
  else if (readme) await insertReadme(tx, { version_id: version.id, ...readme, created_at: now });

  if (meta.deps.length > 0) {
    await tx
      .insertInto('dependencies')
      .values(
        meta.deps.map((d) => ({
          version_id: version.id,
          name: d.name,
          explicit_name: d.explicitNameInToml,
          req: d.versionReq,
          features: JSON.stringify(d.features),
          optional: d.optional ? 1 : 0,
          default_features: d.defaultFeatures ? 1 : 0,
          target: d.target,
          kind: d.kind,
          registry: d.registry,
        })),
      )
      .execute();
  }
  await refreshVersionSummary(tx, crate.id);
  await recordIndexChange(tx, ctx.clock, meta.name, ctx.config.databaseUrl !== null);
  await recordAudit(tx, ctx.clock, {
    action: 'crate.publish',
    ...auditIdentity(actor),
    crateName: meta.name,
    version: meta.vers,
    detail: { checksum, new_crate: created, ...(actor.trustpub ? { trustpub_token_id: actor.trustpub.tokenId } : {}) },
  });
  const who = auditIdentity(actor);
  await notifyPublished(tx, ctx, {
    versionId: version.id,
    crateId: crate.id,
    crate: meta.name,
    version: meta.vers,
    by: actor.trustpub ? null : actor.login,
    tokenId: who.tokenId,
    trustpubData: actor.trustpub?.data ?? null,
  });
  return created;
}

/** The crate-level fields that follow the highest published version. */
function crateMetadata(meta: PublishMetadata) {
  return {
    description: meta.description,
    homepage: meta.homepage,
    documentation: meta.documentation,
    repository: meta.repository,
    readme: meta.readme,
    keywords: JSON.stringify(meta.keywords),
    categories: JSON.stringify(meta.categories),
  };
}

/**
 * The README rendered in the worker, its relative links resolved against the upload's files and
 * commit (every version keeps its own, for its page); null when there is none, or the renderer
 * could not take it now (the first view of the version renders it from the .crate).
 */
async function prepareReadme(
  ctx: ServiceContext,
  meta: PublishMetadata,
  crate: Buffer,
  files: readonly string[],
  maxUnpacked: number,
  readmes?: Readmes,
): Promise<PreparedReadme | null> {
  if (!readmes || meta.readme === null) return null;
  const prefix = `${meta.name}-${meta.vers}/`;
  const vcs = await readCrateFiles(crate, prefix, (p) => p === '.cargo_vcs_info.json', 64 * 1024, maxUnpacked);
  const context = readmeContext(meta.name, meta.vers, meta.readmeFile, meta.repository, files.map((f) => f.slice(prefix.length)), vcs.contents.get('.cargo_vcs_info.json'));
  // A publish waits behind one render at most.
  return readmes.prepare(meta.readme, 1, context);
}

async function removeUnreferencedFile(ctx: ServiceContext, meta: PublishMetadata, checksum: string, key: string): Promise<void> {
  // A concurrent publish of the very same bytes may own this file now; keep it if a version points at it.
  const crate = await findCrateByCanonicalName(ctx.db, meta.name);
  const version = crate ? await findVersion(ctx.db, crate.id, meta.vers) : undefined;
  if (version?.checksum !== checksum) await ctx.blobs.delete(key);
}

/** A unique-constraint failure means a concurrent publish won the race: answer as if we had seen it first. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function isCanonicalNameConflict(err: unknown): boolean {
  const where = `${err instanceof Error ? err.message : ''} ${(err as { constraint?: string }).constraint ?? ''}`;
  return isUniqueViolation(err) && /canonical_name/.test(where);
}

function translateConstraintError(err: unknown, meta: PublishMetadata): unknown {
  if (!isUniqueViolation(err)) return err;
  if (isCanonicalNameConflict(err)) return conflict(`a crate named like \`${meta.name}\` was created at the same moment by someone else`);
  return conflict(`crate version \`${meta.name}@${meta.vers}\` already exists`);
}
