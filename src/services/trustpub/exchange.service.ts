import { decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import { badRequest } from '../../core/errors.js';
import {
  type CiClaims,
  claimsProblem,
  githubWorkflowFilename,
  gitlabWorkflowFilepath,
  matchConfigs,
  matchKey,
  trustpubData,
} from '../../core/trustpub-claims.js';
import { generateTrustpubToken, hashToken } from '../../core/token.js';
import { claimJti, insertTrustpubToken, listConfigsByMatchKey, pinConfigOwner } from '../../db/repositories/trustpub.repository.js';
import { recordAudit } from '../audit.service.js';
import type { ServiceContext } from '../context.js';
import type { IssuerClient } from './issuer-client.js';
import type { TrustpubIssuers } from './trustpub-issuers.js';

/** crates.io's lifetime of a trusted-publishing token. */
export const TRUSTPUB_TOKEN_MINUTES = 30;
/** Clock skew allowed on `exp`, `nbf` and `iat`. */
const LEEWAY_SECONDS = 60;
/** CI tokens are 1 to 2 KiB; a larger one is not worth decoding. */
const MAX_JWT_LENGTH = 16 * 1024;
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];

/**
 * Exchanges a CI job's OIDC token for a token that publishes new versions of the crates whose
 * trusted publishers its claims match, for 30 minutes. Every refusal says what was wrong.
 */
export async function exchangeJwt(ctx: ServiceContext, issuers: TrustpubIssuers, jwt: unknown): Promise<{ token: string }> {
  if (typeof jwt !== 'string' || jwt === '') throw badRequest('expected a body like {"jwt": "<the OIDC token of the CI job>"}');
  if (jwt.length > MAX_JWT_LENGTH) throw badRequest(`the JWT is longer than ${MAX_JWT_LENGTH} characters`);
  let iss: unknown;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
    iss = decodeJwt(jwt).iss;
  } catch {
    throw badRequest('the JWT could not be decoded');
  }
  const client = typeof iss === 'string' ? issuers.get(iss) : undefined;
  if (!client) {
    const trusted = issuers.list.map((i) => `\`${i.url}\``).join(', ') || 'none';
    throw badRequest(`the JWT's issuer \`${String(iss)}\` is not trusted by this registry (trusted issuers: ${trusted})`);
  }
  if (typeof header.kid !== 'string') throw badRequest('the JWT has no key id (`kid`)');
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) throw badRequest(`the JWT's algorithm \`${String(header.alg)}\` is not accepted`);
  const key = await client.key(header.kid, header.alg);
  if (!key) throw badRequest(`the JWT's key id \`${header.kid}\` is not among the keys of the issuer \`${client.issuer.url}\``);
  const payload = await verify(ctx, client, jwt, key);
  const claims = ciClaims(client, payload);
  const problem = claimsProblem(claims);
  if (problem) throw badRequest(problem);
  return mint(ctx, claims, payload);
}

/** The longest a CI token may still be valid when it is exchanged (GitHub's and GitLab's live minutes). */
const MAX_JWT_LIFETIME_SECONDS = 24 * 3600;

async function verify(ctx: ServiceContext, client: IssuerClient, jwt: string, key: Parameters<typeof jwtVerify>[1]): Promise<JWTPayload> {
  const audience = client.issuer.audience ?? ctx.config.publicUrl;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, key as Exclude<typeof key, (...args: never[]) => unknown>, {
      issuer: client.issuer.url,
      audience,
      algorithms: ALGORITHMS,
      clockTolerance: LEEWAY_SECONDS,
      currentDate: ctx.clock.now(),
      requiredClaims: ['exp', 'iat', 'jti'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw badRequest(`the JWT expired at ${isoOf(err.payload.exp)}; request a fresh token from the CI platform`);
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      if (err.claim === 'aud') throw badRequest(`the JWT's audience ${JSON.stringify(err.payload.aud)} is not this registry's (\`${audience}\`)`);
      if (err.claim === 'nbf' || err.claim === 'iat') throw badRequest(`the JWT is not valid yet (\`${err.claim}\` is in the future)`);
      throw badRequest(`the JWT's \`${err.claim}\` claim is not acceptable: ${err.reason}`);
    }
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw badRequest('the JWT signature does not verify');
    throw badRequest('the JWT could not be verified');
  }
  // A token issued in the future was not made by an issuer whose clock Wharf can trust.
  const nowSeconds = ctx.clock.now().getTime() / 1000;
  if ((payload.iat ?? 0) > nowSeconds + LEEWAY_SECONDS) throw badRequest('the JWT is not valid yet (`iat` is in the future)');
  // CI tokens live minutes; a far expiry is a broken or hostile issuer, and would outlive the record of its use.
  if ((payload.exp ?? 0) > nowSeconds + MAX_JWT_LIFETIME_SECONDS) throw badRequest(`the JWT expires more than ${MAX_JWT_LIFETIME_SECONDS / 3600} hours from now; CI tokens are short-lived`);
  // crates.io accepts one audience only: a token meant for several services is not this registry's alone.
  if (typeof payload.aud !== 'string') throw badRequest(`the JWT's audience must be this registry's (\`${audience}\`) alone`);
  return payload;
}

const isoOf = (seconds: unknown): string => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'an unknown time');

function claim(payload: JWTPayload, name: string, optional: true): string | null;
function claim(payload: JWTPayload, name: string): string;
function claim(payload: JWTPayload, name: string, optional = false): string | null {
  const v = payload[name];
  if (typeof v === 'string' && v !== '') return v;
  if (optional && (v === undefined || v === null || v === '')) return null;
  throw badRequest(`the JWT has no \`${name}\` claim (a string)`);
}

/** The same view of a GitHub Actions or GitLab CI token. */
function ciClaims(client: IssuerClient, p: JWTPayload): CiClaims {
  const issuer = client.issuer.url;
  if (client.issuer.kind === 'github') {
    const path = claim(p, 'repository');
    const slash = path.indexOf('/');
    if (slash <= 0 || slash !== path.lastIndexOf('/')) throw badRequest(`the JWT's \`repository\` \`${path}\` is not owner/name`);
    const workflowRef = claim(p, 'workflow_ref');
    const workflow = githubWorkflowFilename(workflowRef);
    if (!workflow) throw badRequest(`the JWT's \`workflow_ref\` \`${workflowRef}\` names no .yml or .yaml workflow`);
    return {
      kind: 'github',
      issuer,
      owner: path.slice(0, slash),
      repo: path.slice(slash + 1),
      path,
      ownerId: claim(p, 'repository_owner_id'),
      workflow,
      environment: claim(p, 'environment', true),
      ref: claim(p, 'ref', true),
      sha: claim(p, 'sha'),
      runId: claim(p, 'run_id'),
      eventName: claim(p, 'event_name'),
      runUrl: githubRunUrl(issuer, path, claim(p, 'run_id')),
    };
  }
  const path = claim(p, 'project_path');
  const slash = path.lastIndexOf('/');
  if (slash <= 0) throw badRequest(`the JWT's \`project_path\` \`${path}\` is not namespace/project`);
  const refUri = claim(p, 'ci_config_ref_uri');
  const workflow = gitlabWorkflowFilepath(refUri);
  if (!workflow) throw badRequest(`the JWT's \`ci_config_ref_uri\` \`${refUri}\` names no .yml or .yaml file`);
  return {
    kind: 'gitlab',
    issuer,
    owner: path.slice(0, slash),
    repo: path.slice(slash + 1),
    path,
    ownerId: claim(p, 'namespace_id'),
    workflow,
    environment: claim(p, 'environment', true),
    ref: claim(p, 'ref_path', true) ?? claim(p, 'ref', true),
    sha: claim(p, 'sha'),
    runId: claim(p, 'job_id'),
    eventName: null,
    // The CI file's URI starts with the GitLab host: `gitlab.example.com/group/project//...`.
    runUrl: webUrl(`https://${refUri.slice(0, refUri.indexOf('/'))}/${path}/-/jobs/${claim(p, 'job_id')}`),
  };
}

/** github.com's runs for its public issuer; a GitHub Enterprise Server shows them on the issuer's host. */
function githubRunUrl(issuer: string, repository: string, runId: string): string | null {
  const origin = issuer === 'https://token.actions.githubusercontent.com' ? 'https://github.com' : new URL(issuer).origin;
  return webUrl(`${origin}/${repository}/actions/runs/${encodeURIComponent(runId)}`);
}

const webUrl = (raw: string): string | null => (URL.canParse(raw) ? new URL(raw).toString() : null);

/** In one transaction: the JWT id is claimed, the configurations matched and pinned, the token stored. */
async function mint(ctx: ServiceContext, claims: CiClaims, payload: JWTPayload): Promise<{ token: string }> {
  const now = ctx.clock.now();
  const token = generateTrustpubToken();
  // Kept until the JWT could no longer pass verification, leeway included.
  const jtiExpiry = new Date(((payload.exp ?? 0) + LEEWAY_SECONDS) * 1000).toISOString();
  await ctx.db.transaction().execute(async (tx) => {
    if (!(await claimJti(tx, { jti: `${claims.issuer}\n${claim(payload, 'jti')}`, expiresAt: jtiExpiry, nowIso: now.toISOString(), postgres: ctx.config.databaseUrl !== null }))) {
      throw badRequest('this JWT was already exchanged; each CI token can be used once');
    }
    const result = matchConfigs(claims, await listConfigsByMatchKey(tx, claims.kind, matchKey(claims.owner, claims.repo)));
    if ('problem' in result) throw badRequest(result.problem);
    const configs = result.matched;
    await pinConfigOwner(tx, configs.filter((c) => c.owner_id === null).map((c) => c.id), claims.ownerId, claims.issuer);
    const crateIds = [...new Set(configs.map((c) => c.crate_id))];
    const data = trustpubData(claims);
    const id = await insertTrustpubToken(tx, {
      token_hash: hashToken(token),
      crate_ids: JSON.stringify(crateIds),
      config_ids: JSON.stringify(configs.map((c) => c.id)),
      trustpub_data: JSON.stringify(data),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + TRUSTPUB_TOKEN_MINUTES * 60_000).toISOString(),
      revoked_at: null,
      revoked_reason: null,
    });
    await recordAudit(tx, ctx.clock, {
      action: 'trustpub.exchange',
      userId: null,
      tokenId: null,
      detail: { trustpub_token_id: id, crates: [...new Set(configs.map((c) => c.crate_name))], configs: configs.map((c) => c.id), issuer: claims.issuer, ...data },
    });
  });
  return { token };
}
