import { type MailMessage, renderMail } from '../../core/mail-messages.js';
import { describeProvenance, type TrustpubData } from '../../core/trustpub-claims.js';
import { deleteDoneJobs } from '../../db/repositories/job.repository.js';
import { findMailbox, ownerIdsOfCrate, publishOptouts, tokenName, tokensExpiringBetween } from '../../db/repositories/mail.repository.js';
import type { ServiceContext } from '../context.js';
import type { JobLog, JobRunner } from '../jobs/job-runner.js';
import { createVerificationLink } from './email-verification.service.js';
import { MAIL_JOB, mailEnabled, type PublishNotice, PUBLISH_NOTICE_JOB, queueMails } from './mail-queue.js';
import { SmtpClient } from './smtp-client.js';

export const TOKEN_EXPIRY_JOB = 'mail.token-expiry';
/** A token is announced as expiring when it has this little time left (once: the job key is the token's). */
export const EXPIRY_NOTICE_MS = 3 * 86_400_000;
const EXPIRY_SCAN_EVERY_MS = 3_600_000;
/** Finished jobs are forgotten after this; their keys only have to outlive what could queue them again. */
const KEEP_DONE_JOBS_MS = 30 * 86_400_000;

/**
 * Gives the runner the e-mail jobs, when an SMTP server is configured: sending one message, the
 * fan-out of a publish notice, and the hourly scan for tokens about to expire. Returns the SMTP
 * client, to be closed on shutdown.
 */
export function registerMailJobs(ctx: ServiceContext, runner: JobRunner): SmtpClient | null {
  if (!mailEnabled(ctx.config) || !ctx.config.smtpUrl) return null;
  const smtp = new SmtpClient(ctx.config.smtpUrl, ctx.config.mailFrom);
  runner.handle(MAIL_JOB, (payload, job) => sendOne(ctx, smtp, payload as { userId: number; message: MailMessage }, job.job_key, runner.logger));
  runner.handle(PUBLISH_NOTICE_JOB, (payload) => fanOutPublish(ctx, payload as PublishNotice));
  runner.handle(TOKEN_EXPIRY_JOB, () => scanExpiringTokens(ctx));
  runner.schedule({ kind: TOKEN_EXPIRY_JOB, everyMs: EXPIRY_SCAN_EVERY_MS });
  return smtp;
}

/**
 * Sends one message to the user's current address. An unverified address gets the verification
 * message only; an address changed since the verification was queued gets nothing.
 */
async function sendOne(ctx: ServiceContext, smtp: SmtpClient, p: { userId: number; message: MailMessage }, key: string, log: JobLog): Promise<void> {
  const box = await findMailbox(ctx.db, p.userId);
  const m = p.message;
  const skip = (why: string) => log.info({ user: p.userId, template: m.template }, `mail not sent: ${why}`);
  if (!box || !box.email) return skip('the user has no address');
  let link: string | undefined;
  if (m.template === 'verify-email') {
    if (box.email !== m.email) return skip('the address changed since');
    if (box.verified) return skip('the address is already verified');
    link = await createVerificationLink(ctx, p.userId, m.email);
  } else if (!box.verified) {
    return skip('the address is not verified');
  }
  const { subject, text } = renderMail(m, box.login, { registryName: ctx.config.registryName, publicUrl: ctx.config.publicUrl }, link);
  await smtp.send({ to: box.email, subject, text, key });
}

async function fanOutPublish(ctx: ServiceContext, n: PublishNotice): Promise<void> {
  const optouts = await publishOptouts(ctx.db, n.crateId);
  const recipients = (await ownerIdsOfCrate(ctx.db, n.crateId)).filter((id) => !optouts.has(id));
  let via: string;
  if (n.trustpubData) via = `trusted publishing, ${describeProvenance(JSON.parse(n.trustpubData) as TrustpubData)}`;
  else if (n.tokenId !== null) via = `the API token "${(await tokenName(ctx.db, n.tokenId)) ?? `#${n.tokenId}`}"`;
  else via = 'a signed-in session';
  const by = n.by ?? 'a CI workflow';
  await queueMails(
    ctx.db,
    ctx,
    recipients.map((userId) => ({ userId, key: `publish:${n.versionId}`, message: { template: 'published', crate: n.crate, version: n.version, by, via } })),
  );
}

/** Queues one reminder per token entering its last three days; the key makes it once per token. */
async function scanExpiringTokens(ctx: ServiceContext): Promise<void> {
  const now = ctx.clock.now();
  const tokens = await tokensExpiringBetween(ctx.db, now.toISOString(), new Date(now.getTime() + EXPIRY_NOTICE_MS).toISOString());
  await queueMails(
    ctx.db,
    ctx,
    tokens.map((t) => ({ userId: t.user_id, key: `token-expiring:${t.id}`, message: { template: 'token-expiring', name: t.name, expiresAt: t.expires_at } })),
  );
  await deleteDoneJobs(ctx.db, new Date(now.getTime() - KEEP_DONE_JOBS_MS).toISOString());
}
