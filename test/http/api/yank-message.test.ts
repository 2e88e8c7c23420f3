import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

describe('PATCH /api/v1/crates/{name}/{version}: a yank with a message, as on crates.io', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await createTestApp();
    alice = (await t.userWithToken('alice')).token;
    bob = (await t.userWithToken('bob')).token;
    await t.publish(alice, { name: 'msg', vers: '1.0.0' });
    await t.publish(alice, { name: 'msg', vers: '1.1.0' });
  });
  afterAll(() => t.close());

  const patch = (version: string, body: unknown, token = alice) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/crates/msg/${version}`, payload: body as object, headers: { authorization: token } });
  const detail = (res: { json(): unknown }) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';
  const indexLine = async (num: string) =>
    ((await t.app.inject({ url: '/index/3/m/msg' })).body.trim().split('\n').map((l) => JSON.parse(l) as { vers: string; yanked: boolean })).find((l) => l.vers === num);

  it('yanks with a message, answers the version document and updates the index', async () => {
    const res = await patch('1.0.0', { version: { yanked: true, yank_message: 'use 1.1: <b>1.0 leaks memory</b>' } });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { version: Record<string, unknown> }).version).toMatchObject({ num: '1.0.0', crate: 'msg', yanked: true, yank_message: 'use 1.1: <b>1.0 leaks memory</b>' });
    expect(await indexLine('1.0.0')).toMatchObject({ yanked: true });
    const doc = await t.app.inject({ url: '/api/v1/crates/msg/1.0.0' });
    expect((doc.json() as { version: { yank_message: string } }).version.yank_message).toBe('use 1.1: <b>1.0 leaks memory</b>');
  });

  it('shows the message, escaped, on the version page', async () => {
    const page = await t.app.inject({ url: '/crates/msg/1.0.0', headers: { accept: 'text/html' } });
    expect(page.body).toContain('This version was yanked.');
    expect(page.body).toContain('use 1.1: &lt;b&gt;1.0 leaks memory&lt;/b&gt;');
  });

  it('changes the message of a yanked version without a yanked field', async () => {
    const res = await patch('1.0.0', { version: { yank_message: 'superseded by 1.1' } });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { version: { yank_message: string } }).version.yank_message).toBe('superseded by 1.1');
  });

  it('records the message in the audit log', async () => {
    const rows = await t.runtime.ctx.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'crate.yank').orderBy('id').execute();
    expect(rows.map((r) => JSON.parse(r.detail ?? '{}').message)).toEqual(['use 1.1: <b>1.0 leaks memory</b>', 'superseded by 1.1']);
  });

  it('an unyank clears the message; cargo yank --undo does the same', async () => {
    const res = await patch('1.0.0', { version: { yanked: false } });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { version: Record<string, unknown> }).version).toMatchObject({ yanked: false, yank_message: null });
    expect(await indexLine('1.0.0')).toMatchObject({ yanked: false });
  });

  it.each<[string, unknown, RegExp]>([
    ['a message when unyanking', { version: { yanked: false, yank_message: 'x' } }, /cannot be set when unyanking/],
    ['a message for a version that is not yanked', { version: { yank_message: 'x' } }, /only be changed on a yanked version/],
    ['a body without `version`', { yanked: true }, /expected a body like/],
    ['a non-boolean yanked', { version: { yanked: 'yes' } }, /must be true or false/],
    ['a 1,001-character message', { version: { yanked: true, yank_message: 'm'.repeat(1001) } }, /too long/],
  ])('refuses %s with 400', async (_, body, why) => {
    const res = await patch('1.1.0', body);
    expect(res.statusCode).toBe(400);
    expect(detail(res)).toMatch(why);
    expect(await indexLine('1.1.0')).toMatchObject({ yanked: false });
  });

  it('refuses someone who is not an owner', async () => {
    const res = await patch('1.1.0', { version: { yanked: true, yank_message: 'mine now' } }, bob);
    expect(res.statusCode).toBe(403);
    expect(await indexLine('1.1.0')).toMatchObject({ yanked: false });
  });
});
