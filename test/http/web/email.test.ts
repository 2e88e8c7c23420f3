import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findJobByKey } from '../../../src/db/repositories/job.repository.js';
import { notifySecurityEvent } from '../../../src/services/mail/mail-queue.js';
import { SmtpSink } from '../../helpers/smtp-sink.js';
import { type Browser, createWebApp, PASSWORD, type WebTestApp } from '../../helpers/web.js';

describe('e-mail on /me and /admin/jobs', () => {
  let smtp: SmtpSink;
  let t: WebTestApp;
  let alice: Browser;
  let aliceId: number;
  const drain = async () => {
    for (let i = 0; i < 20; i++) if ((await t.runtime.jobs.runOnce()) === 0) return;
  };

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    t = await createWebApp({ smtpUrl: smtp.url });
    aliceId = (await t.account('alice')).id;
    await t.account('root', { admin: true });
    const { token } = await t.tokenFor(aliceId);
    await t.publish(token, { name: 'quiet-crate', vers: '1.0.0' });
    alice = t.browser();
    await alice.login('alice');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('sets an address, which shows as unverified until the mailed link is followed', async () => {
    const res = await alice.submit('/me', '/me/email', { email: 'alice@example.com' });
    expect(res.statusCode).toBe(303);
    expect((await alice.get(res.headers.location as string)).body).toMatch(/unverified/);
    await drain();
    expect(smtp.to('alice@example.com').map((m) => m.subject)).toEqual(['[wharf] Confirm your e-mail address']);
    const link = /http:\/\/wharf\.test(\/confirm-email\/[A-Za-z0-9_-]{43})/.exec(smtp.messages[0]!.text)![1]!;
    expect((await alice.get(link)).headers.location).toBe('/me?notice=email-confirmed');
    const me = (await alice.get('/me')).body;
    expect(me).toMatch(/badge active">verified/);
    expect((await alice.submit('/me', '/me/email', { email: 'no spaces allowed@x' })).headers.location).toBe('/me?email_error=invalid');
  });

  it('turns publish notices of one crate off and on again', async () => {
    const crate = await t.runtime.ctx.db.selectFrom('crates').select('id').where('name', '=', 'quiet-crate').executeTakeFirstOrThrow();
    expect((await alice.submit('/me', '/me/notices', { shown: String(crate.id) })).statusCode).toBe(303);
    expect((await alice.get('/me')).body).not.toMatch(/value="\d+" checked> quiet-crate/);
    const optouts = await t.runtime.ctx.db.selectFrom('publish_notice_optouts').selectAll().execute();
    expect(optouts).toEqual([{ user_id: aliceId, crate_id: crate.id }]);
    await alice.submit('/me', '/me/notices', { shown: String(crate.id), crates: String(crate.id) });
    expect((await alice.get('/me')).body).toMatch(/checked> quiet-crate/);
  });

  it('lists failed jobs to an administrator, who can retry one', async () => {
    const ctx = t.runtime.ctx;
    await notifySecurityEvent(ctx.db, ctx, { userId: aliceId, event: 'second-factor-added', detail: 'a key', key: 'admin-page' });
    const key = `mail:security:second-factor-added:admin-page:${aliceId}`;
    await ctx.db.updateTable('jobs').set({ max_attempts: 1 }).where('job_key', '=', key).execute();
    smtp.failNext = 1;
    await drain();
    const job = (await findJobByKey(ctx.db, key))!;
    expect(job.state).toBe('failed');
    const root = t.browser();
    await root.login('root');
    const page = (await root.get('/admin/jobs')).body;
    expect(page).toContain('E-mail is sent through the configured SMTP server');
    expect(page).toContain(key);
    expect(page).toContain('451');
    const res = await root.submit('/admin/jobs', `/admin/jobs/${job.id}/retry`, { sudo_password: PASSWORD });
    expect(res.headers.location).toBe('/admin/jobs?notice=retried');
    await drain();
    expect((await findJobByKey(ctx.db, key))!.state).toBe('done');
    expect(smtp.to('alice@example.com').some((m) => m.subject.includes('a second factor was added'))).toBe(true);
  });
  it('changes the address only within the re-authentication window, or after the password', async () => {
    const late = t.browser();
    await late.login('alice');
    t.clock.advance(16 * 60_000);
    const refused = await late.submit('/me', '/me/email', { email: 'mallory@example.com' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Confirm your password');
    const email = async () => (await t.runtime.ctx.db.selectFrom('users').select('email').where('id', '=', aliceId).executeTakeFirstOrThrow()).email;
    expect(await email()).not.toBe('mallory@example.com');
    const done = await late.submit('/me', '/me/email', { email: 'alice2@example.com', sudo_password: PASSWORD });
    expect(done.statusCode).toBe(303);
    expect(await email()).toBe('alice2@example.com');
  });
});

describe('e-mail switched off', () => {
  it('says so on the admin page and queues nothing', async () => {
    const t = await createWebApp();
    try {
      await t.account('root', { admin: true });
      const root = t.browser();
      await root.login('root');
      expect((await root.get('/admin/jobs')).body).toContain('E-mail is off: no SMTP server is configured');
      await root.submit('/me', '/me/email', { email: 'root@example.com' });
      expect(await t.runtime.ctx.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
      expect((await root.get('/me')).body).toContain('This registry sends no e-mail');
    } finally {
      await t.close();
    }
  });
});
