import { badRequest, crateNotFound, forbidden, notFound } from '../../core/errors.js';
import { configProblem, matchKey, type TrustpubKind } from '../../core/trustpub-claims.js';
import { type CrateRow, findCrateByCanonicalName, isOwner } from '../../db/repositories/crate.repository.js';
import {
  deleteConfig,
  findConfig,
  insertConfig,
  listConfigsOfCrate,
  revokeTokensOfConfig,
  setTrustpubOnly,
  type TrustpubConfigRow,
} from '../../db/repositories/trustpub.repository.js';
import { type Actor, auditIdentity, requireScope } from '../actor.js';
import { recordAudit } from '../audit.service.js';
import { isoNow, type ServiceContext } from '../context.js';
import { notifyTrustpubConfig } from '../mail/mail-queue.js';
import type { Operator } from '../token.service.js';

/** A crate may name at most this many trusted publishers of each kind. */
const MAX_CONFIGS = 20;

/** The JSON field names of each kind, as crates.io's API spells them. */
const FIELDS = {
  github: { body: 'github_config', owner: 'repository_owner', ownerId: 'repository_owner_id', repo: 'repository_name', workflow: 'workflow_filename' },
  gitlab: { body: 'gitlab_config', owner: 'namespace', ownerId: 'namespace_id', repo: 'project', workflow: 'workflow_filepath' },
} as const;

export type ConfigView = Record<string, string | number | null>;

export function configView(row: TrustpubConfigRow): ConfigView {
  const f = FIELDS[row.kind];
  return {
    id: row.id,
    crate: row.crate_name,
    [f.owner]: row.owner,
    [f.ownerId]: row.kind === 'github' ? githubOwnerId(row.owner_id) : row.owner_id,
    [f.repo]: row.repo,
    [f.workflow]: row.workflow,
    environment: row.environment,
    issuer: row.issuer,
    created_at: row.created_at,
  };
}

/**
 * GitHub's owner id is a number, which crates.io's clients read as one; it is null until the first
 * token exchange tells it (crates.io asks GitHub at creation, Wharf does not call GitHub).
 */
const githubOwnerId = (id: string | null): number | null => (id !== null && /^\d{1,15}$/.test(id) ? Number(id) : null);

/** The crate, when the actor may manage its trusted publishers: an owner, through a session or a token with `trusted-publishing`. */
async function crateManagedBy(ctx: ServiceContext, actor: Actor, name: string): Promise<CrateRow> {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  requireScope(actor, 'trusted-publishing', crate.name);
  if (!(await isOwner(ctx.db, crate.id, actor.userId))) throw forbidden(`only an owner of \`${crate.name}\` may manage its trusted publishing`);
  return crate;
}

export async function createConfig(ctx: ServiceContext, actor: Actor, kind: TrustpubKind, body: unknown): Promise<ConfigView> {
  const f = FIELDS[kind];
  const fields = (body as Record<string, unknown> | null)?.[f.body];
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw badRequest(`expected a body like {"${f.body}": {"crate": ..., "${f.owner}": ..., "${f.repo}": ..., "${f.workflow}": ..., "environment": null}}`);
  }
  const get = (key: string, optional = false): string | null => {
    const v = (fields as Record<string, unknown>)[key];
    if (optional && (v === undefined || v === null)) return null;
    if (typeof v !== 'string') throw badRequest(`\`${f.body}.${key}\` must be a string${optional ? ' or null' : ''}`);
    return v;
  };
  const crateName = get('crate') as string;
  const config = { owner: get(f.owner) as string, repo: get(f.repo) as string, workflow: get(f.workflow) as string, environment: get('environment', true) };
  const problem = configProblem(kind, config);
  if (problem) throw badRequest(problem);
  const issuer = issuerFor(ctx, kind, get('issuer', true));
  const crate = await crateManagedBy(ctx, actor, crateName);
  const id = await ctx.db.transaction().execute(async (tx) => {
    if ((await listConfigsOfCrate(tx, kind, crate.id)).length >= MAX_CONFIGS) {
      throw badRequest(`\`${crate.name}\` already has ${MAX_CONFIGS} ${kind} trusted publishers, the most allowed`);
    }
    const now = isoNow(ctx.clock);
    const inserted = await insertConfig(tx, {
      crate_id: crate.id,
      kind,
      ...config,
      match_key: matchKey(config.owner, config.repo),
      owner_id: null,
      issuer,
      created_at: now,
      created_by: actor.userId,
    });
    await recordAudit(tx, ctx.clock, { action: 'trustpub.config_add', ...auditIdentity(actor), crateName: crate.name, detail: { id: inserted, kind, issuer, ...config } });
    await notifyTrustpubConfig(tx, ctx, { crateId: crate.id, crate: crate.name, configId: inserted, change: 'added', config: describeConfig(kind, config, issuer), by: actor.login });
    return inserted;
  });
  return configView((await findConfig(ctx.db, kind, id))!);
}

/** A configuration in one line, for the owners' notice. */
function describeConfig(kind: TrustpubKind, c: { owner: string; repo: string; workflow: string; environment: string | null }, issuer: string | null): string {
  return `${kind} ${c.owner}/${c.repo}, workflow ${c.workflow}${c.environment ? `, environment ${c.environment}` : ''}${issuer ? ` (issuer ${issuer})` : ''}`;
}

/**
 * The issuer a new configuration trusts: the one named, or the only trusted issuer of its kind.
 * A configuration is bound to one issuer from the start, so a repository of the same name on
 * another trusted issuer of the same kind (github.com and a company's own server) cannot use it.
 */
function issuerFor(ctx: ServiceContext, kind: TrustpubKind, named: string | null): string {
  const candidates = ctx.config.trustedIssuers.filter((i) => i.kind === kind).map((i) => i.url);
  if (named !== null) {
    if (!candidates.includes(named)) throw badRequest(`\`${named}\` is not a trusted ${kind} issuer of this registry (trusted: ${candidates.join(', ') || 'none'})`);
    return named;
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw badRequest(`this registry trusts no ${kind} issuer; an administrator adds one to \`trusted_publishing.issuers\``);
  throw badRequest(`this registry trusts several ${kind} issuers (${candidates.join(', ')}): name the one this configuration is for in \`issuer\``);
}

export async function listConfigs(ctx: ServiceContext, actor: Actor, kind: TrustpubKind, crateName: unknown): Promise<ConfigView[]> {
  if (typeof crateName !== 'string' || crateName === '') throw badRequest('name the crate: `?crate=NAME`');
  const crate = await crateManagedBy(ctx, actor, crateName);
  return (await listConfigsOfCrate(ctx.db, kind, crate.id)).map(configView);
}

export async function removeConfig(ctx: ServiceContext, actor: Actor, kind: TrustpubKind, id: number): Promise<void> {
  const row = Number.isSafeInteger(id) ? await findConfig(ctx.db, kind, id) : undefined;
  if (!row) throw notFound(`no ${kind} trusted publishing configuration with id ${id}`);
  const crate = await crateManagedBy(ctx, actor, row.crate_name);
  await ctx.db.transaction().execute(async (tx) => {
    await deleteConfig(tx, id);
    // Tokens it already let a CI job mint stop at once: a removed configuration is often a compromised repository.
    await revokeTokensOfConfig(tx, id, isoNow(ctx.clock));
    await recordAudit(tx, ctx.clock, { action: 'trustpub.config_remove', ...auditIdentity(actor), crateName: crate.name, detail: configView(row) });
    await notifyTrustpubConfig(tx, ctx, { crateId: crate.id, crate: crate.name, configId: id, change: 'removed', config: describeConfig(row.kind, row, row.issuer), by: actor.login });
  });
}

/**
 * crates.io's `trustpub_only`: when set, only trusted-publishing tokens may publish new versions.
 * Set by an owner, or by an operator on the server (`wharf crate trustpub-only`, no actor).
 */
export async function updateTrustpubOnly(ctx: ServiceContext, { actor, via }: Operator, crateName: string, value: boolean): Promise<string> {
  const crate = actor ? await crateManagedBy(ctx, actor, crateName) : await findCrateByCanonicalName(ctx.db, crateName);
  if (!crate) throw crateNotFound(crateName);
  await ctx.db.transaction().execute(async (tx) => {
    await setTrustpubOnly(tx, crate.id, value);
    const who = actor ? auditIdentity(actor) : { userId: null, tokenId: null };
    await recordAudit(tx, ctx.clock, { action: 'crate.trustpub_only', ...who, crateName: crate.name, detail: { trustpub_only: value, ...(via ? { via } : {}) } });
  });
  return crate.name;
}
