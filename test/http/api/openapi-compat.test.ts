import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeOwners } from '../../../src/services/owner.service.js';
import { addTeamMember, createTeam } from '../../../src/services/owners/team.service.js';
import { createSession, csrfTokenFor, markReauthenticated, SESSION_COOKIE } from '../../../src/services/session.service.js';
import { dependencySpec, publishBody } from '../../helpers/crate-builder.js';
import { TestIssuer } from '../../helpers/oidc-issuer.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { compatibilityProblems, type Json } from '../../helpers/schema-compat.js';

/**
 * Wharf against crates.io's own description of its API (test/fixtures/crates-io-api-shapes.json,
 * the structural facts of crates.io's OpenAPI document, made by scripts/crates-io-api-shapes.mjs):
 * every route both serve answers, live, what crates.io's schema for it accepts, and
 * /api/openapi.json describes each of them with a schema compatible with crates.io's.
 */

type Fixture = { source: Record<string, unknown>; $defs: Record<string, Json>; routes: Record<string, { status: number; schema: Json | null }> };
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/crates-io-api-shapes.json', import.meta.url), 'utf8')) as Fixture;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * Where Wharf knowingly answers otherwise, and why; the README lists them too. Anything else that
 * does not match fails. Each entry names the route, the place in the answer and ajv's keyword.
 */
const KNOWN_DIFFERENCES: Array<{ route: string; at: RegExp; keyword: string; why: string }> = [
  { route: 'GET /api/v1/me/tokens/{id}', at: /^\/api_token\/endpoint_scopes\/\d+$/, keyword: 'enum', why: "Wharf's `read` scope of private registries" },
  { route: 'DELETE /api/v1/me/tokens/{id}', at: /^\/api_token\/endpoint_scopes\/\d+$/, keyword: 'enum', why: "Wharf's `read` scope of private registries" },
  { route: 'POST /api/v1/trusted_publishing/github_configs', at: /^\/github_config\/repository_owner_id$/, keyword: 'type', why: 'null until the first token exchange' },
];
/** The same differences, as the description walk reports them (schema paths). */
const KNOWN_SCHEMA_DIFFERENCES: Array<{ route: string; at: string; why: string }> = [
  { route: 'GET /api/v1/me/tokens/{id}', at: 'api_token.endpoint_scopes[]', why: "Wharf's `read` scope" },
  { route: 'DELETE /api/v1/me/tokens/{id}', at: 'api_token.endpoint_scopes[]', why: "Wharf's `read` scope" },
  // Wharf learns a GitHub owner's id from the first token exchange; crates.io asks GitHub when the configuration is made.
  { route: 'GET /api/v1/trusted_publishing/github_configs', at: 'github_configs[].repository_owner_id', why: 'null until the first exchange' },
  { route: 'POST /api/v1/trusted_publishing/github_configs', at: 'github_config.repository_owner_id', why: 'null until the first exchange' },
  // crates.io redirects to (or names in JSON) a stored HTML file; Wharf answers the HTML itself.
  { route: 'GET /api/v1/crates/{name}/{version}/readme', at: '', why: 'the README is answered as HTML' },
];

/**
 * Routes both serve that crates.io's description leaves out: their answers are checked against
 * Wharf's own description instead (so nothing is sent that /api/openapi.json does not list).
 */
const UNDESCRIBED_BY_CRATES_IO = [
  'GET /api/v1/me/crate_owner_invitations',
  'GET /api/private/crate_owner_invitations',
  'DELETE /api/v1/crates/{name}',
];

/** `/api/v1/crates/{name}` and `/api/v1/categories/{slug}` alike: the parameter names differ between the two. */
const shapeOf = (route: string) => route.replace(/\{[^}]+\}/g, '{}');

describe("Wharf's answers against crates.io's OpenAPI description", () => {
  let t: TestApp;
  let issuer: TestIssuer;
  let alice: { token: string; tokenId: number; userId: number };
  let bob: { token: string; tokenId: number; userId: number };
  let browser: Record<string, string>;
  const audience = 'http://wharf.test';
  const answers = new Map<string, { status: number; body: string; type: string }>();

  const call = async (route: string, url: string, options: { headers?: Record<string, string>; payload?: unknown } = {}) => {
    const [method] = route.split(' ');
    const res = await t.app.inject({ method: method as 'GET', url, headers: options.headers, payload: options.payload as object });
    answers.set(route, { status: res.statusCode, body: res.body, type: String(res.headers['content-type'] ?? '') });
    return res;
  };

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await createTestApp({ trustedIssuers: [{ url: issuer.url, kind: 'github', audience: null }, { url: `${issuer.url}/gitlab`, kind: 'gitlab', audience: null }] });
    alice = await t.userWithToken('alice');
    bob = await t.userWithToken('bob');
    const auth = { authorization: alice.token };
    await t.publish(alice.token, { name: 'base-lib', vers: '1.0.0', keywords: ['parsing'], meta: { categories: ['parsing', 'development-tools::testing'] } });
    await t.publish(alice.token, { name: 'base-lib', vers: '1.1.0', keywords: ['parsing'], features: { extra: [] }, readme: '# base\n\nA *base*.', meta: { rust_version: '1.70' } });
    await t.publish(alice.token, { name: 'tp-crate', vers: '1.0.0' });
    await t.publish(alice.token, { name: 'app-one', vers: '0.1.0', deps: [dependencySpec('base-lib', '^1'), dependencySpec('tp-crate', '^1', { optional: true, target: 'cfg(unix)', kind: 'dev' })] });
    await t.publish(alice.token, { name: 'short-lived', vers: '0.1.0' });
    const session = await createSession(t.runtime.ctx, alice.userId);
    await markReauthenticated(t.runtime.ctx, session);
    browser = { cookie: `${SESSION_COOKIE}=${session}`, 'x-csrf-token': csrfTokenFor(session) };

    // Every route crates.io describes and Wharf serves, in an order that leaves something to show.
    await call('POST /api/v1/trusted_publishing/github_configs', '/api/v1/trusted_publishing/github_configs', {
      headers: auth,
      payload: { github_config: { crate: 'tp-crate', repository_owner: 'example', repository_name: 'repo', workflow_filename: 'release.yml', environment: null } },
    });
    await call('POST /api/v1/trusted_publishing/gitlab_configs', '/api/v1/trusted_publishing/gitlab_configs', {
      headers: auth,
      payload: { gitlab_config: { crate: 'tp-crate', namespace: 'group', project: 'proj', workflow_filepath: '.gitlab-ci.yml', environment: null } },
    });
    const jwt = await issuer.sign(issuer.github('example', 'repo'), { audience });
    const exchanged = await call('POST /api/v1/trusted_publishing/tokens', '/api/v1/trusted_publishing/tokens', { payload: { jwt } });
    const tpToken = (exchanged.json() as { token: string }).token;
    await call('PUT /api/v1/crates/new', '/api/v1/crates/new', { headers: { authorization: tpToken }, payload: await publishBody({ name: 'tp-crate', vers: '1.1.0' }) });
    await call('DELETE /api/v1/trusted_publishing/tokens', '/api/v1/trusted_publishing/tokens', { headers: { authorization: tpToken } });
    await call('GET /api/v1/trusted_publishing/github_configs', '/api/v1/trusted_publishing/github_configs?crate=tp-crate', { headers: auth });
    await call('GET /api/v1/trusted_publishing/gitlab_configs', '/api/v1/trusted_publishing/gitlab_configs?crate=tp-crate', { headers: auth });
    const gitlabId = (JSON.parse(answers.get('POST /api/v1/trusted_publishing/gitlab_configs')!.body) as { gitlab_config: { id: number } }).gitlab_config.id;
    await call('DELETE /api/v1/trusted_publishing/gitlab_configs/{id}', `/api/v1/trusted_publishing/gitlab_configs/${gitlabId}`, { headers: auth });
    const second = await t.app.inject({
      method: 'POST',
      url: '/api/v1/trusted_publishing/github_configs',
      headers: auth,
      payload: { github_config: { crate: 'tp-crate', repository_owner: 'example', repository_name: 'other', workflow_filename: 'release.yml', environment: null } },
    });
    const githubId = (second.json() as { github_config: { id: number } }).github_config.id;
    await call('DELETE /api/v1/trusted_publishing/github_configs/{id}', `/api/v1/trusted_publishing/github_configs/${githubId}`, { headers: auth });

    await call('DELETE /api/v1/crates/{name}/{version}/yank', '/api/v1/crates/base-lib/1.0.0/yank', { headers: auth });
    await call('PUT /api/v1/crates/{name}/{version}/unyank', '/api/v1/crates/base-lib/1.0.0/unyank', { headers: auth });
    await call('PATCH /api/v1/crates/{name}/{version}', '/api/v1/crates/base-lib/1.0.0', { headers: auth, payload: { version: { yanked: true, yank_message: 'superseded' } } });
    await call('PATCH /api/v1/crates/{name}', '/api/v1/crates/tp-crate', { headers: auth, payload: { crate: { trustpub_only: false } } });
    // Owners: bob is invited, lists his invitations, accepts; a team is added at once.
    await call('PUT /api/v1/crates/{name}/owners', '/api/v1/crates/base-lib/owners', { headers: auth, payload: { users: ['bob'] } });
    await call('GET /api/v1/me/crate_owner_invitations', '/api/v1/me/crate_owner_invitations', { headers: { authorization: bob.token } });
    await call('GET /api/private/crate_owner_invitations', '/api/private/crate_owner_invitations?crate_name=base-lib', { headers: auth });
    const baseLibId = (JSON.parse(answers.get('GET /api/v1/me/crate_owner_invitations')!.body) as { crate_owner_invitations: Array<{ crate_id: number }> }).crate_owner_invitations[0]?.crate_id;
    await call('PUT /api/v1/me/crate_owner_invitations/{crate_id}', `/api/v1/me/crate_owner_invitations/${baseLibId}`, {
      headers: { authorization: bob.token },
      payload: { crate_owner_invite: { crate_id: baseLibId, accepted: true } },
    });
    const aliceActor = { userId: alice.userId, login: 'alice', name: null, isAdmin: false, token: null };
    const { invitations } = await changeOwners(t.runtime.ctx, aliceActor, 'app-one', ['bob'], true);
    await call('PUT /api/v1/me/crate_owner_invitations/accept/{token}', `/api/v1/me/crate_owner_invitations/accept/${invitations[0]!.token}`);
    const operator = { actor: null, via: 'test' };
    await createTeam(t.runtime.ctx, operator, { name: 'core', description: 'The core team' });
    await addTeamMember(t.runtime.ctx, operator, 'core', 'alice');
    await call('PUT /api/v1/crates/{name}/owners', '/api/v1/crates/base-lib/owners', { headers: auth, payload: { users: ['team:core'] } });
    await call('DELETE /api/v1/crates/{name}/owners', '/api/v1/crates/app-one/owners', { headers: auth, payload: { users: ['bob'] } });
    // Only a signed-in owner, with a recent password, deletes a crate.
    await call('DELETE /api/v1/crates/{name}', '/api/v1/crates/short-lived?message=a%20test', { headers: browser });
    await call('GET /api/v1/crates/{name}/{version}/download', '/api/v1/crates/base-lib/1.1.0/download', { headers: { accept: 'application/json' } });
    await t.app.inject({ url: '/api/v1/crates/base-lib/1.1.0/download' });
    await t.runtime.downloads.flush();

    for (const [route, url] of [
      ['GET /api/v1/crates', '/api/v1/crates?q=base'],
      ['GET /api/v1/crates/{name}', '/api/v1/crates/base-lib'],
      ['GET /api/v1/crates/{name}/versions', '/api/v1/crates/base-lib/versions'],
      ['GET /api/v1/crates/{name}/{version}', '/api/v1/crates/tp-crate/1.1.0'],
      ['GET /api/v1/crates/{name}/{version}/authors', '/api/v1/crates/base-lib/1.1.0/authors'],
      ['GET /api/v1/crates/{name}/{version}/dependencies', '/api/v1/crates/app-one/0.1.0/dependencies'],
      ['GET /api/v1/crates/{name}/{version}/downloads', '/api/v1/crates/base-lib/1.1.0/downloads'],
      ['GET /api/v1/crates/{name}/{version}/readme', '/api/v1/crates/base-lib/1.1.0/readme'],
      ['GET /api/v1/crates/{name}/downloads', '/api/v1/crates/base-lib/downloads?include=versions'],
      ['GET /api/v1/crates/{name}/reverse_dependencies', '/api/v1/crates/base-lib/reverse_dependencies'],
      ['GET /api/v1/crates/{name}/owners', '/api/v1/crates/base-lib/owners'],
      ['GET /api/v1/crates/{name}/owner_user', '/api/v1/crates/base-lib/owner_user'],
      ['GET /api/v1/crates/{name}/owner_team', '/api/v1/crates/base-lib/owner_team'],
      ['GET /api/v1/keywords', '/api/v1/keywords'],
      ['GET /api/v1/keywords/{keyword}', '/api/v1/keywords/parsing'],
      ['GET /api/v1/categories', '/api/v1/categories'],
      ['GET /api/v1/categories/{category}', '/api/v1/categories/development-tools::testing'],
      ['GET /api/v1/category_slugs', '/api/v1/category_slugs'],
      ['GET /api/v1/summary', '/api/v1/summary'],
      ['GET /api/v1/site_metadata', '/api/v1/site_metadata'],
      ['GET /api/v1/users/{user}', '/api/v1/users/alice'],
    ] as const) {
      await call(route, url);
    }
    await call('GET /api/v1/me/tokens/{id}', `/api/v1/me/tokens/${alice.tokenId}`, { headers: browser });
    await call('DELETE /api/v1/me/tokens/{id}', `/api/v1/me/tokens/${alice.tokenId}`, { headers: browser });
    const spare = await t.tokenFor(alice.userId);
    await call('DELETE /api/v1/tokens/current', '/api/v1/tokens/current', { headers: { authorization: spare.token } });
  });

  afterAll(async () => {
    await t?.close();
    await issuer?.close();
  });

  it('the fixture names its source and licence, and has a route list', () => {
    expect(fixture.source).toMatchObject({ repository: 'https://github.com/rust-lang/crates.io', commit: expect.stringMatching(/^[0-9a-f]{40}$/), licence: expect.stringContaining('MIT OR Apache-2.0') });
    expect(Object.keys(fixture.routes).length).toBeGreaterThan(30);
  });

  it('every route both serve was called', () => {
    expect([...Object.keys(fixture.routes), ...UNDESCRIBED_BY_CRATES_IO].filter((r) => !answers.has(r))).toEqual([]);
    expect(UNDESCRIBED_BY_CRATES_IO.filter((r) => r in fixture.routes), 'described by crates.io now: move to the fixture').toEqual([]);
  });

  it('the owner answers show the invitation, the accepting user and the team', () => {
    const mine = JSON.parse(answers.get('GET /api/v1/me/crate_owner_invitations')!.body) as { crate_owner_invitations: Array<Record<string, unknown>>; users: Array<{ login: string }> };
    expect(mine.crate_owner_invitations).toEqual([expect.objectContaining({ crate_name: 'base-lib', invitee_id: bob.userId, inviter_id: alice.userId, invited_by_username: 'alice' })]);
    expect(mine.users.map((u) => u.login)).toEqual(['alice', 'bob']);
    const listed = JSON.parse(answers.get('GET /api/private/crate_owner_invitations')!.body) as { invitations: Array<Record<string, unknown>>; meta: unknown };
    expect(listed.invitations).toEqual([expect.objectContaining({ crate_name: 'base-lib', invitee_id: bob.userId })]);
    expect(listed.meta).toEqual({ next_page: null });
    const owners = JSON.parse(answers.get('GET /api/v1/crates/{name}/owners')!.body) as { users: Array<{ login: string; kind: string }> };
    expect(owners.users.map((o) => `${o.kind}:${o.login}`)).toEqual(['user:alice', 'user:bob', 'team:team:core']);
    const teams = JSON.parse(answers.get('GET /api/v1/crates/{name}/owner_team')!.body) as { teams: unknown[] };
    expect(teams.teams).toEqual([{ id: expect.any(Number), login: 'team:core', name: 'The core team', kind: 'team', url: null, avatar: null }]);
  });

  const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
  for (const [route, expected] of Object.entries(fixture.routes)) {
    it(`${route} answers what crates.io's description accepts`, () => {
      const answer = answers.get(route);
      expect(answer, `${route} was not called`).toBeDefined();
      expect(answer!.status, `${route} answered ${answer!.status}: ${answer!.body.slice(0, 500)}`).toBe(expected.status);
      if (expected.schema === null) return;
      if (route === 'GET /api/v1/crates/{name}/{version}/readme') {
        // The HTML crates.io's JSON form points at, answered directly (listed in KNOWN_SCHEMA_DIFFERENCES).
        expect(answer!.type).toMatch(/^text\/html/);
        return;
      }
      const validate = ajv.compile({ ...expected.schema, $defs: fixture.$defs });
      const body = JSON.parse(answer!.body) as unknown;
      validate(body);
      const errors = (validate.errors ?? []).filter((e) => !KNOWN_DIFFERENCES.some((k) => k.route === route && k.keyword === e.keyword && k.at.test(e.instancePath)));
      expect(errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`), `${route}: ${answer!.body.slice(0, 300)}`).toEqual([]);
    });
  }

  it.each(UNDESCRIBED_BY_CRATES_IO)("%s answers what Wharf's own description says", async (route) => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, Json> }>> };
    const [method, path] = route.split(' ') as [string, string];
    const [described, ops] = Object.entries(doc.paths).find(([p]) => shapeOf(p) === shapeOf(path)) ?? [];
    const op = ops?.[method.toLowerCase()];
    expect(op, `${route} is not in /api/openapi.json`).toBeDefined();
    const answer = answers.get(route)!;
    expect(op!.responses[String(answer.status)], `${route} answered ${answer.status}: ${answer.body.slice(0, 300)}`).toBeDefined();
    if (answer.status === 204) return expect(answer.body).toBe('');
    expect(answer.status).toBe(200);
    const check = addFormats(new Ajv2020({ allErrors: true, strict: false }));
    check.addSchema(doc as unknown as Json, 'wharf-openapi.json');
    const pointer = ['paths', described!, method.toLowerCase(), 'responses', '200', 'content', 'application/json', 'schema']
      .map((part) => encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1')))
      .join('/');
    const validate = check.compile({ $ref: `wharf-openapi.json#/${pointer}` });
    validate(JSON.parse(answer.body));
    expect(validate.errors ?? []).toEqual([]);
  });

  describe('/api/openapi.json', () => {
    let doc: { openapi: string; paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };
    beforeAll(async () => {
      const res = await t.app.inject({ url: '/api/openapi.json' });
      expect(res.statusCode).toBe(200);
      doc = res.json();
    });

    it('is an OpenAPI 3.1 document whose schemas compile as JSON schemas', () => {
      expect(doc.openapi).toBe('3.1.0');
      const check = addFormats(new Ajv2020({ strict: false }));
      check.addSchema(doc as unknown as Json, 'wharf-openapi.json');
      for (const name of Object.keys(doc.components.schemas)) {
        expect(() => check.compile({ $ref: `wharf-openapi.json#/components/schemas/${name}` }), name).not.toThrow();
      }
    });

    it('lists every route both serve, and the ones only Wharf has', () => {
      const listed = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${shapeOf(path)}`)));
      expect(Object.keys(fixture.routes).filter((r) => !listed.has(shapeOf(r)))).toEqual([]);
      for (const own of ['GET /api/v1/me', 'GET /api/v1/me/updates', 'GET /api/v1/me/tokens', 'PUT /api/v1/me/tokens']) expect(listed).toContain(own);
    });

    it("describes each shared route with a response schema compatible with crates.io's", () => {
      const problems: string[] = [];
      for (const [route, expected] of Object.entries(fixture.routes)) {
        const [method, path] = route.split(' ') as [string, string];
        const op = Object.entries(doc.paths).find(([p]) => shapeOf(p) === shapeOf(path))?.[1][method.toLowerCase()] as
          | { responses: Record<string, { content?: Record<string, { schema: Json }> }> }
          | undefined;
        const response = op?.responses[String(expected.status)];
        if (!response) {
          problems.push(`${route}: no ${expected.status} answer described`);
          continue;
        }
        if (expected.schema === null) continue;
        const known = KNOWN_SCHEMA_DIFFERENCES.filter((k) => k.route === route).map((k) => k.at);
        if (known.includes('')) continue;
        const ours = response.content?.['application/json']?.schema;
        const found = ours
          ? compatibilityProblems({ schema: ours, defs: doc.components.schemas, prefix: '#/components/schemas/' }, { schema: expected.schema, defs: fixture.$defs, prefix: '#/$defs/' })
          : ['no JSON answer described'];
        problems.push(...found.filter((p) => !known.some((at) => p.startsWith(`${at}:`))).map((p) => `${route}: ${p}`));
      }
      expect(problems).toEqual([]);
    });

    it('finds a mismatch when there is one', () => {
      const theirs = { type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string' } }, required: ['n', 's'] };
      const ours = { type: 'object', properties: { n: { type: ['integer', 'null'] } }, required: ['n'] };
      expect(compatibilityProblems({ schema: ours, defs: {}, prefix: '#/' }, { schema: theirs, defs: {}, prefix: '#/' })).toEqual([
        's: required by crates.io, not always sent by Wharf',
        'n: Wharf may send null, crates.io expects integer',
      ]);
    });
  });
});
