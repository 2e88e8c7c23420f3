import type { MailMessage, SecurityEvent } from '../../core/mail-messages.js';
import type { Db } from '../../db/create-db.js';
import { ownerIdsOfCrate } from '../../db/repositories/mail.repository.js';
import type { Config } from '../../config/config.js';
import type { Clock } from '../context.js';
import { enqueueJobs } from '../jobs/job-queue.js';

/** The job kinds of e-mail: one message to one user, and the fan-out of a publish to its crate's owners. */
export const MAIL_JOB = 'mail.send';
export const PUBLISH_NOTICE_JOB = 'mail.publish';

export interface MailDeps {
  config: Config;
  clock: Clock;
}

export interface QueuedMail {
  userId: number;
  /** Unique per message: the same key is never sent twice. */
  key: string;
  message: MailMessage;
}

export const mailEnabled = (config: Config): boolean => config.smtpUrl !== null;

/**
 * Queues messages on `db` (the transaction of the change they tell of, so a rolled-back change
 * mails nobody). With no SMTP server configured nothing is queued. Whether the user's address
 * may receive it is decided when it is sent, against the address then current.
 */
export async function queueMails(db: Db, deps: MailDeps, mails: readonly QueuedMail[]): Promise<void> {
  if (!mailEnabled(deps.config)) return;
  await enqueueJobs(
    db,
    deps.clock,
    mails.map((m) => ({ kind: MAIL_JOB, key: `mail:${m.key}:${m.userId}`, payload: { userId: m.userId, message: m.message } })),
  );
}

/**
 * Tells a user of a change to their account's security (a second factor added or removed, a
 * sign-in with a method not used before). These notices cannot be turned off. `key` names the
 * event (an id of the factor or session), so telling of one event twice sends one message.
 */
export async function notifySecurityEvent(
  db: Db,
  deps: MailDeps,
  event: { userId: number; event: SecurityEvent; detail: string; key: string },
): Promise<void> {
  await queueMails(db, deps, [{ userId: event.userId, key: `security:${event.event}:${event.key}`, message: { template: 'security', event: event.event, detail: event.detail } }]);
}

/** Tells a user they were invited to own a crate; `invitationId` keeps it to one message per invitation. */
export async function notifyOwnerInvitation(
  db: Db,
  deps: MailDeps,
  invitation: { inviteeId: number; crate: string; inviter: string; invitationId: number | string },
): Promise<void> {
  await queueMails(db, deps, [
    {
      userId: invitation.inviteeId,
      key: `owner-invitation:${invitation.invitationId}`,
      message: { template: 'owner-invitation', crate: invitation.crate, inviter: invitation.inviter, link: `${deps.config.publicUrl}/me/invitations` },
    },
  ]);
}

export interface PublishNotice {
  versionId: number;
  crateId: number;
  crate: string;
  version: string;
  /** The publishing user's login and token, or the CI provenance (versions.trustpub_data) of a trusted publish. */
  by: string | null;
  tokenId: number | null;
  trustpubData: string | null;
}

/** Queues the notice of a new version to the crate's owners (the job works out who, not the publish). */
export async function notifyPublished(db: Db, deps: MailDeps, notice: PublishNotice): Promise<void> {
  if (!mailEnabled(deps.config)) return;
  await enqueueJobs(db, deps.clock, [{ kind: PUBLISH_NOTICE_JOB, key: `publish:${notice.versionId}`, payload: notice }]);
}

/** Tells every owner of a crate that a trusted-publishing configuration was added or removed. */
export async function notifyTrustpubConfig(
  db: Db,
  deps: MailDeps,
  change: { crateId: number; crate: string; configId: number; change: 'added' | 'removed'; config: string; by: string },
): Promise<void> {
  if (!mailEnabled(deps.config)) return;
  await queueMails(
    db,
    deps,
    (await ownerIdsOfCrate(db, change.crateId)).map((userId) => ({
      userId,
      key: `trustpub-config-${change.change}:${change.configId}`,
      message: { template: 'trustpub-config', crate: change.crate, change: change.change, config: change.config, by: change.by },
    })),
  );
}
