import { badRequest } from '../../core/errors.js';
import { ownedCratesWithNotices, setPublishOptout } from '../../db/repositories/mail.repository.js';
import { findUserById } from '../../db/repositories/user.repository.js';
import type { ServiceContext } from '../context.js';
import { mailEnabled } from './mail-queue.js';

export interface MailSettings {
  /** False when the registry has no SMTP server: nothing is ever sent. */
  enabled: boolean;
  email: string | null;
  verified: boolean;
  /** The crates the user owns, each with whether its publish notices reach them. */
  crates: { id: number; name: string; notices: boolean }[];
}

export async function mailSettings(ctx: ServiceContext, userId: number): Promise<MailSettings> {
  const user = await findUserById(ctx.db, userId);
  return {
    enabled: mailEnabled(ctx.config),
    email: user?.email ?? null,
    verified: user?.email_verified_at != null,
    crates: await ownedCratesWithNotices(ctx.db, userId),
  };
}

/**
 * Turns the publish notices of one crate the user owns on or off. Security notices (tokens,
 * second factors, trusted publishing) have no such switch.
 */
export async function setPublishNotices(ctx: ServiceContext, userId: number, crateId: number, on: boolean): Promise<void> {
  const owned = await ownedCratesWithNotices(ctx.db, userId);
  if (!owned.some((c) => c.id === crateId)) throw badRequest('you can turn notices on or off only for crates you own');
  await setPublishOptout(ctx.db, userId, crateId, !on);
}
