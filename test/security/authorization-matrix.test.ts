import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken } from '../../src/core/token.js';
import { changeOwners } from '../../src/services/owner.service.js';
import { addTeamMember, createTeam } from '../../src/services/owners/team.service.js';
import { revokeAllTokens, revokeToken } from '../../src/services/token.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Every write endpoint, and every read endpoint of a private registry, against every kind of
 * credential. Each cell names the status and a piece of the detail the user must see.
 */
type Credential =
  | 'none' | 'malformed' | 'bad checksum' | 'unknown' | 'expired' | 'revoked' | 'revoked by revoke-all'
  | 'wrong endpoint scope' | 'wrong crate pattern' | 'non-owner' | 'invited, not yet accepted' | 'member of an owning team' | 'owner';

const CREDENTIALS: Credential[] = [
  'none', 'malformed', 'bad checksum', 'unknown', 'expired', 'revoked', 'revoked by revoke-all',
  'wrong endpoint scope', 'wrong crate pattern', 'non-owner', 'invited, not yet accepted', 'member of an owning team', 'owner',
];

type Expect = [number, RegExp | null];

const REFUSED_BEFORE_SCOPES: Record<string, Expect> = {
  none: [401, /needs an API token; create one at http:\/\/wharf\.test\/me/],
  malformed: [401, /malformed or mistyped/],
  'bad checksum': [401, /checksum does not match/],
  unknown: [401, /^the API token is not valid; create a new one at http:\/\/wharf\.test\/me$/],
  expired: [401, /^this token expired on \d{4}-\d{2}-\d{2}; create a new one at http:\/\/wharf\.test\/me$/],
  revoked: [401, /^this token was revoked on \d{4}-\d{2}-\d{2}: laptop lost; create a new one at http:\/\/wharf\.test\/me$/],
  'revoked by revoke-all': [401, /^this token was revoked on \d{4}-\d{2}-\d{2}: incident 7; create a new one/],
};

async function credentials(t: TestApp, scope: string): Promise<Record<Credential, string | null>> {
  const alice = (await t.runtime.ctx.db.selectFrom('users').select('id').where('login', '=', 'alice').executeTakeFirstOrThrow()).id;
  const incident = await t.tokenFor(alice, { name: 'before incident' });
  await revokeAllTokens(t.runtime.ctx, { actor: null, via: 'test' }, { userId: alice }, 'incident 7');
  const revoked = await t.tokenFor(alice, { name: 'lost' });
  await revokeToken(t.runtime.ctx, { actor: null }, revoked.tokenId, 'laptop lost');
  const expired = await t.tokenFor(alice, { name: 'short', expiresInDays: 1 });
  const valid = generateToken();
  const owner = (await t.tokenFor(alice, { name: 'owner' })).token;
  const otherScope = scope === 'yank' ? 'publish-update' : 'yank';
  return {
    none: null,
    malformed: 'not-a-token',
    'bad checksum': `${owner.slice(0, -1)}${owner.endsWith('A') ? 'B' : 'A'}`,
    unknown: valid,
    expired: expired.token,
    revoked: revoked.token,
    'revoked by revoke-all': incident.token,
    'wrong endpoint scope': (await t.tokenFor(alice, { name: 'narrow', scopes: [otherScope as 'yank'] })).token,
    'wrong crate pattern': (await t.tokenFor(alice, { name: 'other crates', cratePatterns: ['other*'] })).token,
    'non-owner': (await t.userWithToken(`bob-${scope}`)).token,
    'invited, not yet accepted': await invitee(t, alice, `ivy-${scope}`),
    'member of an owning team': await teamMember(t, `tm-${scope}`),
    owner,
  };
}

/** A user with a pending invitation to own `target`: no rights until they accept. */
async function invitee(t: TestApp, alice: number, login: string): Promise<string> {
  const user = await t.userWithToken(login);
  await changeOwners(t.runtime.ctx, { userId: alice, login: 'alice', name: null, isAdmin: false, token: null }, 'target', [login], true);
  return user.token;
}

/** A member of a team that owns `target`: may publish and yank, not change owners. */
async function teamMember(t: TestApp, login: string): Promise<string> {
  const user = await t.userWithToken(login);
  const by = { actor: null, via: 'test' };
  const team = await createTeam(t.runtime.ctx, by, { name: `team-${login}` });
  await addTeamMember(t.runtime.ctx, by, team.name, login);
  const { id: crateId } = await t.runtime.ctx.db.selectFrom('crates').select('id').where('name', '=', 'target').executeTakeFirstOrThrow();
  await t.runtime.ctx.db.insertInto('crate_owner_teams').values({ crate_id: crateId, team_id: team.id, created_at: new Date().toISOString(), created_by: null }).execute();
  return user.token;
}

interface WriteCase {
  endpoint: string;
  scope: 'publish-new' | 'publish-update' | 'yank' | 'change-owners';
  request: (n: number) => Promise<InjectOptions>;
  ok: number;
  nonOwner: Expect;
  /** What a member of a team that owns the crate gets: the owner's answer unless given. */
  teamMember?: Expect;
}

let counter = 0;
const WRITES: WriteCase[] = [
  {
    endpoint: 'PUT /crates/new (new crate)',
    scope: 'publish-new',
    request: async (n) => ({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: `target-new-${n}`, vers: '1.0.0' }) }),
    ok: 200,
    // Anyone with the scope may create a crate.
    nonOwner: [200, null],
  },
  {
    endpoint: 'PUT /crates/new (new version)',
    scope: 'publish-update',
    request: async (n) => ({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'target', vers: `2.0.${n}` }) }),
    ok: 200,
    nonOwner: [403, /you are not an owner of the crate `target`/],
  },
  {
    endpoint: 'DELETE /crates/target/1.0.0/yank',
    scope: 'yank',
    request: async () => ({ method: 'DELETE', url: '/api/v1/crates/target/1.0.0/yank' }),
    ok: 200,
    nonOwner: [403, /you are not an owner of the crate `target`/],
  },
  {
    endpoint: 'PUT /crates/target/1.0.0/unyank',
    scope: 'yank',
    request: async () => ({ method: 'PUT', url: '/api/v1/crates/target/1.0.0/unyank' }),
    ok: 200,
    nonOwner: [403, /you are not an owner of the crate `target`/],
  },
  {
    endpoint: 'PATCH /crates/target/1.0.0 (yank with a message)',
    scope: 'yank',
    request: async (n) => ({ method: 'PATCH', url: '/api/v1/crates/target/1.0.0', payload: { version: { yanked: n % 2 === 0, ...(n % 2 === 0 ? { yank_message: `reason ${n}` } : {}) } } }),
    ok: 200,
    nonOwner: [403, /you are not an owner of the crate `target`/],
  },
  {
    endpoint: 'PUT /crates/target/owners',
    scope: 'change-owners',
    request: async () => ({ method: 'PUT', url: '/api/v1/crates/target/owners', payload: { users: ['carol'] } }),
    ok: 200,
    nonOwner: [403, /you are not an owner of the crate `target`/],
    teamMember: [403, /only its user owners may change its owners/],
  },
  {
    endpoint: 'DELETE /crates/target/owners',
    scope: 'change-owners',
    request: async () => ({ method: 'DELETE', url: '/api/v1/crates/target/owners', payload: { users: ['carol'] } }),
    ok: 200,
    nonOwner: [403, /you are not an owner of the crate `target`/],
    teamMember: [403, /only its user owners may change its owners/],
  },
];

function expected(c: WriteCase, cred: Credential): Expect {
  if (cred in REFUSED_BEFORE_SCOPES) return REFUSED_BEFORE_SCOPES[cred]!;
  if (cred === 'wrong endpoint scope') return [403, new RegExp(`lacks the \`${c.scope}\` scope`)];
  if (cred === 'wrong crate pattern') return [403, /limited to the crate patterns `other\*`, which do not cover `target/];
  if (cred === 'non-owner' || cred === 'invited, not yet accepted') return c.nonOwner;
  if (cred === 'member of an owning team') return c.teamMember ?? [c.ok, null];
  return [c.ok, null];
}

const detailOf = (body: string) => {
  try {
    return (JSON.parse(body) as { errors?: Array<{ detail: string }> }).errors?.[0]?.detail ?? '';
  } catch {
    return '';
  }
};

describe.each(WRITES)('authorization of $endpoint', (c) => {
  let t: TestApp;
  let creds: Record<Credential, string | null>;

  beforeAll(async () => {
    t = await createTestApp();
    const alice = await t.userWithToken('alice');
    await t.userWithToken('carol');
    const setup = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'target', vers: '1.0.0' }), headers: { authorization: alice.token } });
    expect(setup.statusCode).toBe(200);
    creds = await credentials(t, c.scope);
    t.clock.advance(2 * 86_400_000);
  });
  afterAll(() => t.close());

  it.each(CREDENTIALS)('with %s', async (cred) => {
    const [status, detail] = expected(c, cred);
    const req = await c.request(++counter);
    const token = creds[cred];
    const versionsBefore = (await t.runtime.ctx.db.selectFrom('versions').select('id').execute()).length;
    const res = await t.app.inject({ ...req, headers: { ...(token ? { authorization: token } : {}) } });
    expect({ status: res.statusCode, detail: detailOf(res.body) }).toEqual({ status, detail: detail ? expect.stringMatching(detail) : expect.anything() });
    if (status >= 400 && c.endpoint.startsWith('PUT /crates/new')) {
      expect((await t.runtime.ctx.db.selectFrom('versions').select('id').execute()).length).toBe(versionsBefore);
    }
  });
});

describe('authorization of reads on a private registry', () => {
  let t: TestApp;
  let creds: Record<Credential, string | null>;
  let downloadUrl: string;

  const READS: Array<[string, string]> = [
    ['config.json', '/index/config.json'],
    ['index file', '/index/ta/rg/target'],
    ['search', '/api/v1/crates?q=target'],
    ['crate', '/api/v1/crates/target'],
    ['version', '/api/v1/crates/target/1.0.0'],
    ['versions', '/api/v1/crates/target/versions'],
    ['owners', '/api/v1/crates/target/owners'],
    ['download', '/api/v1/crates/target/1.0.0/download'],
    ['crate by the other spelling', '/api/v1/crates/TARGET'],
    ['summary', '/api/v1/summary'],
    ['keywords', '/api/v1/keywords'],
    ['user', '/api/v1/users/alice'],
    ['version dependencies', '/api/v1/crates/target/1.0.0/dependencies'],
    ['version downloads', '/api/v1/crates/target/1.0.0/downloads'],
    ['version authors', '/api/v1/crates/target/1.0.0/authors'],
    ['crate downloads', '/api/v1/crates/target/downloads'],
    ['reverse dependencies', '/api/v1/crates/target/reverse_dependencies'],
    ['user owners', '/api/v1/crates/target/owner_user'],
    ['team owners', '/api/v1/crates/target/owner_team'],
  ];

  beforeAll(async () => {
    t = await createTestApp({ authRequired: true });
    const alice = await t.userWithToken('alice');
    const setup = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'target', vers: '1.0.0' }), headers: { authorization: alice.token } });
    expect(setup.statusCode).toBe(200);
    creds = await credentials(t, 'read');
    // A token with the read scope only, limited to other crates: patterns limit writes, reads are registry-wide.
    t.clock.advance(2 * 86_400_000);
    downloadUrl = '/api/v1/crates/target/1.0.0/download';
  });
  afterAll(() => t.close());

  const cases = READS.flatMap(([label, url]) => CREDENTIALS.map((cred) => [label, url, cred] as const));

  it.each(cases)('%s with %s', async (_label, url, cred) => {
    const token = creds[cred];
    const res = await t.app.inject({ method: 'GET', url, headers: token ? { authorization: token } : {} });
    if (cred === 'none') {
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Cargo login_url="http://wharf.test/me"');
      return;
    }
    if (cred in REFUSED_BEFORE_SCOPES) {
      const [status, detail] = REFUSED_BEFORE_SCOPES[cred]!;
      expect(res.statusCode).toBe(status);
      expect(detailOf(res.body)).toMatch(detail!);
      return;
    }
    if (cred === 'wrong endpoint scope') {
      // The token holds only `yank`: no read scope and no publish scope.
      expect(res.statusCode).toBe(403);
      expect(detailOf(res.body)).toContain('lacks the `read` scope');
      return;
    }
    expect(res.statusCode).toBe(200);
    if (url === downloadUrl) expect(res.headers['content-type']).toBe('application/gzip');
    if (url === '/index/config.json') expect(res.json()).toMatchObject({ 'auth-required': true });
  });
});
