import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../../src/bootstrap.js';
import { findJobByKey } from '../../../src/db/repositories/job.repository.js';
import { createAccount, startSession } from '../../../src/services/account.service.js';
import { factorChanged } from '../../../src/services/factors/factor-events.js';
import { changeOwners } from '../../../src/services/owner.service.js';
import type { Actor } from '../../../src/services/actor.js';
import type { ServiceContext } from '../../../src/services/context.js';
import { changeEmail, verifyEmailByOperator } from '../../../src/services/mail/email-verification.service.js';
import { notifyOwnerInvitation, notifySecurityEvent } from '../../../src/services/mail/mail-queue.js';
import { setPublishNotices } from '../../../src/services/mail/mail-settings.service.js';
import { createRuntime, type Runtime } from '../../../src/services/runtime.js';
import { createToken, revokeAllTokens, revokeToken } from '../../../src/services/token.service.js';
import { createConfig, removeConfig } from '../../../src/services/trustpub/trustpub-config.service.js';
import { SmtpSink } from '../../helpers/smtp-sink.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/** E-mail end to end: a real SMTP server on 127.0.0.1 receives what the job queue sends. */
describe('e-mail notifications', () => {
  let smtp: SmtpSink;
  let t: TestApp;
  let ctx: ServiceContext;
  /** Every API token made in this suite: none may appear in any message. */
  const secrets: string[] = [];
  const PASSWORD = 'correct horse battery staple';

  const drain = async (runtime: Runtime = t.runtime) => {
    for (let i = 0; i < 20; i++) if ((await runtime.jobs.runOnce()) === 0) return;
    throw new Error('the queue did not drain in 20 passes');
  };
  const actorOf = (userId: number, login: string, isAdmin = false): Actor => ({ userId, login, name: null, isAdmin, token: null });
  const token = async (userId: number, name: string, expiresInDays: number | null = 30) => {
    const made = await createToken(ctx, userId, { name, expiresInDays }, null);
    secrets.push(made.token);
    return made;
  };
  const linkIn = (text: string) => /\/confirm-email\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];
  let alice: number;
  let bob: number;

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    t = await createTestApp({
      smtpUrl: smtp.url,
      mailFrom: 'Wharf <wharf@wharf.test>',
      trustedIssuers: [{ url: 'https://token.actions.githubusercontent.com', kind: 'github', audience: null }],
    });
    ctx = t.runtime.ctx;
    alice = (await createAccount(ctx, { login: 'alice', email: 'alice@example.com', password: PASSWORD }, { actor: null, via: 'test' })).id;
    bob = (await createAccount(ctx, { login: 'bob', email: 'bob@example.com' }, { actor: null, via: 'test' })).id;
    await drain();
  });

  afterAll(async () => {
    // Whatever the tests did, no message carried an API token or a password.
    for (const m of smtp?.messages ?? []) {
      for (const s of [...secrets, PASSWORD]) expect(m.raw.includes(s) || m.text.includes(s) || m.subject.includes(s)).toBe(false);
    }
    await t?.close();
    await smtp?.close();
  });

  it('sends an address given by an operator only its verification link, until its owner follows it once', async () => {
    const [verify] = smtp.to('alice@example.com');
    expect(smtp.to('alice@example.com')).toHaveLength(1);
    expect(verify!.subject).toBe('[wharf] Confirm your e-mail address');
    const link = linkIn(verify!.text)!;
    expect(link).toBeDefined();
    // Only its hash is stored.
    const stored = await ctx.db.selectFrom('email_verifications').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(link);

    await token(alice, 'before-verify');
    await drain();
    expect(smtp.to('alice@example.com')).toHaveLength(1);

    expect((await t.app.inject({ method: 'GET', url: `/confirm-email/${link}` })).statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: `/confirm-email/${link}` })).statusCode).toBe(400);
    expect((await ctx.db.selectFrom('users').select('email_verified_at').where('id', '=', alice).executeTakeFirstOrThrow()).email_verified_at).not.toBeNull();

    // Bob's address stays unverified until an operator vouches for it.
    await verifyEmailByOperator(ctx, 'bob', 'test');
    const audit = await ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.verify_email').execute();
    expect(audit).toHaveLength(1);
  });

  it('tells of a token created (name, scopes, expiry; never the token) and of one about to expire, once', async () => {
    const before = smtp.messages.length;
    const made = await token(alice, 'laptop', 2);
    await drain();
    // The hourly scan finds it at its next run.
    t.clock.advance(3_600_000);
    await drain();
    const created = smtp.messages.slice(before).filter((m) => m.subject.includes('"laptop"'));
    expect(created.map((m) => [m.to, m.subject])).toEqual([
      [['alice@example.com'], '[wharf] A new API token "laptop" was created'],
      [['alice@example.com'], '[wharf] Your API token "laptop" expires soon'],
    ]);
    expect(created[0]!.text).toContain('publish-new');
    expect(created[0]!.text).toContain(made.view.expires_at!);
    // The next scan (an hour later) finds the same token and sends nothing more.
    t.clock.advance(3_600_000);
    await drain();
    expect(smtp.messages.filter((m) => m.subject.includes('"laptop" expires'))).toHaveLength(1);
  });

  it('tells the owner of a token revoked by someone else, with the reason, and nothing when they revoke it themselves', async () => {
    const admin = (await createAccount(ctx, { login: 'root', isAdmin: true }, { actor: null, via: 'test' })).id;
    const mine = await token(alice, 'revoked-by-me');
    const theirs = await token(alice, 'revoked-by-admin');
    const before = smtp.messages.length;
    await revokeToken(ctx, { actor: actorOf(alice, 'alice') }, mine.view.id, 'no longer needed', alice);
    await revokeToken(ctx, { actor: actorOf(admin, 'root', true) }, theirs.view.id, 'found in a public gist');
    await drain();
    const sent = smtp.messages.slice(before).filter((m) => m.subject.includes('was revoked'));
    expect(sent.map((m) => m.subject)).toEqual(['[wharf] Your API token "revoked-by-admin" was revoked']);
    expect(sent[0]!.text).toContain('found in a public gist');
    expect(sent[0]!.text).toContain('the administrator root');

    // The incident switch on the server's command line: every owner hears of each token.
    await token(bob, 'bob-ci');
    await drain();
    const before2 = smtp.messages.length;
    const count = await revokeAllTokens(ctx, { actor: null, via: 'wharf token revoke-all' }, {}, 'incident 42');
    expect(count).toBeGreaterThan(1);
    await drain();
    const incident = smtp.messages.slice(before2);
    expect(incident).toHaveLength(count);
    expect(incident.every((m) => m.text.includes('incident 42') && m.text.includes('an operator'))).toBe(true);
    expect(smtp.to('bob@example.com').some((m) => m.subject.includes('"bob-ci" was revoked'))).toBe(true);
  });

  it('tells the owners of a new version who published it and through which token, unless they turned it off for that crate', async () => {
    const publisher = await token(alice, 'release');
    await t.publish(publisher.token, { name: 'noticed', vers: '1.0.0' });
    const crate = await ctx.db.selectFrom('crates').select('id').where('name', '=', 'noticed').executeTakeFirstOrThrow();
    await ctx.db.insertInto('crate_owners').values({ crate_id: crate.id, user_id: bob, created_at: new Date().toISOString(), created_by: alice }).execute();
    const before = smtp.messages.length;
    await t.publish(publisher.token, { name: 'noticed', vers: '1.1.0' });
    await drain();
    const sent = smtp.messages.slice(before).filter((m) => m.subject.includes('noticed@1.1.0'));
    expect(sent.map((m) => m.to[0]).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(sent[0]!.subject).toBe('[wharf] noticed@1.1.0 was published');
    expect(sent[0]!.text).toContain('By:      alice');
    expect(sent[0]!.text).toContain('the API token "release"');

    await setPublishNotices(ctx, bob, crate.id, false);
    await expect(setPublishNotices(ctx, bob, 999_999, false)).rejects.toThrow(/crates you own/);
    await t.publish(publisher.token, { name: 'noticed', vers: '1.2.0' });
    await drain();
    expect(smtp.messages.filter((m) => m.subject.includes('noticed@1.2.0')).map((m) => m.to[0])).toEqual(['alice@example.com']);
  });

  it('tells every owner when a trusted-publishing configuration is added or removed; security notices and invitations likewise', async () => {
    const before = smtp.messages.length;
    const config = await createConfig(ctx, actorOf(alice, 'alice'), 'github', {
      github_config: { crate: 'noticed', repository_owner: 'acme', repository_name: 'noticed', workflow_filename: 'release.yml', environment: null },
    });
    await removeConfig(ctx, actorOf(alice, 'alice'), 'github', config.id as number);
    await notifySecurityEvent(ctx.db, ctx, { userId: bob, event: 'second-factor-added', detail: 'an authenticator app was added', key: 'factor-1' });
    await notifySecurityEvent(ctx.db, ctx, { userId: bob, event: 'second-factor-added', detail: 'an authenticator app was added', key: 'factor-1' });
    await notifyOwnerInvitation(ctx.db, ctx, { inviteeId: bob, crate: 'noticed', inviter: 'alice', invitationId: 7 });
    await drain();
    const sent = smtp.messages.slice(before).map((m) => `${m.to[0]} ${m.subject}`).sort();
    expect(sent).toEqual([
      'alice@example.com [wharf] Trusted publishing for noticed: a configuration was added',
      'alice@example.com [wharf] Trusted publishing for noticed: a configuration was removed',
      'bob@example.com [wharf] Security notice: a second factor was added to your account',
      'bob@example.com [wharf] Trusted publishing for noticed: a configuration was added',
      'bob@example.com [wharf] Trusted publishing for noticed: a configuration was removed',
      'bob@example.com [wharf] alice invites you to own noticed',
    ]);
  });

  it('is sent from where things happen: an owner invitation, a second factor added, a sign-in with a new method', async () => {
    const { token: publishToken } = await token(alice, 'publish');
    await t.publish(publishToken, { name: 'wired', vers: '1.0.0' });
    await drain();
    const before = smtp.messages.length;
    await changeOwners(ctx, actorOf(alice, 'alice'), 'wired', ['bob'], true);
    await factorChanged(ctx, { userId: bob, login: 'bob', change: 'added', method: 'passkey', name: 'laptop', by: { actor: actorOf(bob, 'bob') } });
    // The first sign-in of an account is no news; a method it never used before is.
    await startSession(ctx, { id: bob, login: 'bob', locked_at: null }, 'password');
    await startSession(ctx, { id: bob, login: 'bob', locked_at: null }, 'password');
    await startSession(ctx, { id: bob, login: 'bob', locked_at: null }, 'passkey');
    await drain();
    const sent = smtp.messages.slice(before);
    expect(sent.map((m) => `${m.to[0]} ${m.subject}`).sort()).toEqual([
      'bob@example.com [wharf] Security notice: a second factor was added to your account',
      'bob@example.com [wharf] Security notice: your account was signed in to with a new method',
      'bob@example.com [wharf] alice invites you to own wired',
    ]);
    expect(sent.find((m) => m.subject.includes('second factor'))!.text).toContain('passkey "laptop" added');
    expect(sent.find((m) => m.subject.includes('invites'))!.text).toContain('/me/invitations');
  });

  it('sends a changed address its own verification link and nothing else until it is followed', async () => {
    const before = smtp.messages.length;
    await changeEmail(ctx, bob, 'bob@new.example.com');
    await token(bob, 'after-change');
    await drain();
    const sent = smtp.messages.slice(before);
    expect(sent.map((m) => [m.to[0], m.subject])).toEqual([['bob@new.example.com', '[wharf] Confirm your e-mail address']]);
    await expect(changeEmail(ctx, bob, 'not an address')).rejects.toThrow(/invalid e-mail/);
  });

  it('retries with backoff while the SMTP server refuses, and sends the message once when it accepts', async () => {
    smtp.failNext = 2;
    const before = smtp.messages.length;
    await notifySecurityEvent(ctx.db, ctx, { userId: alice, event: 'new-sign-in-method', detail: 'signed in with a passkey', key: 'retry-1' });
    expect(await t.runtime.jobs.runOnce()).toBe(1);
    let job = (await findJobByKey(ctx.db, `mail:security:new-sign-in-method:retry-1:${alice}`))!;
    expect(job).toMatchObject({ state: 'pending', attempts: 1 });
    expect(job.last_error).toMatch(/SMTP server smtp:\/\/127\.0\.0\.1:\d+.*451/);
    expect(await t.runtime.jobs.runOnce()).toBe(0);
    t.clock.advance(t.runtime.jobs.options.backoffBaseMs);
    expect(await t.runtime.jobs.runOnce()).toBe(1);
    t.clock.advance(2 * t.runtime.jobs.options.backoffBaseMs);
    await drain();
    job = (await findJobByKey(ctx.db, job.job_key))!;
    expect(job).toMatchObject({ state: 'done', attempts: 3 });
    expect(smtp.messages.slice(before).map((m) => m.subject)).toEqual(['[wharf] Security notice: your account was signed in to with a new method']);
  });

  it('sends what one instance queued from another started later, and two instances never send one message twice', async () => {
    const others: ServiceContext[] = [];
    const instance = () => {
      const o = { ...openContext(t.config), clock: t.clock };
      others.push(o);
      return createRuntime(o);
    };
    try {
      // Queued by this instance, which never runs its queue; sent by one started afterwards.
      const before = smtp.messages.length;
      await token(alice, 'queued-before-restart');
      await drain(instance());
      expect(smtp.messages.slice(before).map((m) => m.subject)).toEqual(['[wharf] A new API token "queued-before-restart" was created']);

      const before2 = smtp.messages.length;
      for (let i = 0; i < 12; i++) await notifySecurityEvent(ctx.db, ctx, { userId: alice, event: 'second-factor-removed', detail: `factor ${i}`, key: `race-${i}` });
      const a = instance();
      const b = instance();
      for (let round = 0; round < 30; round++) {
        const done = await Promise.all([a.jobs.runOnce(), b.jobs.runOnce()]);
        if (done[0] === 0 && done[1] === 0) break;
      }
      const raced = smtp.messages.slice(before2);
      expect(raced).toHaveLength(12);
      expect(new Set(raced.map((m) => m.messageId)).size).toBe(12);
    } finally {
      for (const o of others) await o.db.destroy();
    }
  });
});
