/**
 * The text of every e-mail Wharf sends, from the facts a job carries. Pure: no I/O, and no
 * secret ever reaches these functions (a verification link is made by the sender, not stored).
 */

export type MailMessage =
  | { template: 'verify-email'; email: string }
  | { template: 'token-created'; name: string; scopes: string[]; crateScopes: string[]; expiresAt: string | null }
  | { template: 'token-expiring'; name: string; expiresAt: string }
  | { template: 'token-revoked'; name: string; reason: string; by: string }
  | { template: 'published'; crate: string; version: string; by: string; via: string }
  | { template: 'trustpub-config'; crate: string; change: 'added' | 'removed'; config: string; by: string }
  | { template: 'security'; event: SecurityEvent; detail: string }
  | { template: 'owner-invitation'; crate: string; inviter: string; link: string };

export type SecurityEvent = 'second-factor-added' | 'second-factor-removed' | 'new-sign-in-method';

export interface Site {
  registryName: string;
  publicUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
}

const SECURITY_SUBJECTS: Record<SecurityEvent, string> = {
  'second-factor-added': 'a second factor was added to your account',
  'second-factor-removed': 'a second factor was removed from your account',
  'new-sign-in-method': 'your account was signed in to with a new method',
};

/** `link` is the verification link, given only for `verify-email`. */
export function renderMail(m: MailMessage, login: string, site: Site, link?: string): RenderedMail {
  const tag = `[${site.registryName}]`;
  const me = `${site.publicUrl}/me`;
  const sign = `\n\n-- \n${site.registryName} (${site.publicUrl})\n`;
  const notYou = `If this was not you, sign in at ${me}, revoke your tokens and tell the registry's administrators.`;
  switch (m.template) {
    case 'verify-email':
      return {
        subject: `${tag} Confirm your e-mail address`,
        text:
          `Hello ${login},\n\nplease confirm that ${m.email} is your address by opening this link within 24 hours:\n\n${link ?? ''}\n\n` +
          `Until you do, ${site.registryName} sends this address nothing else. If you did not ask for this, ignore this message.` +
          sign,
      };
    case 'token-created':
      return {
        subject: `${tag} A new API token "${m.name}" was created`,
        text:
          `Hello ${login},\n\nan API token was created for your account.\n\n  Name:    ${m.name}\n  Scopes:  ${m.scopes.join(', ')}\n` +
          `  Crates:  ${m.crateScopes.join(', ')}\n  Expires: ${m.expiresAt ?? 'never'}\n\n${notYou}` +
          sign,
      };
    case 'token-expiring':
      return {
        subject: `${tag} Your API token "${m.name}" expires soon`,
        text: `Hello ${login},\n\nyour API token "${m.name}" expires at ${m.expiresAt}. To keep publishing, create a new one at ${me}.` + sign,
      };
    case 'token-revoked':
      return {
        subject: `${tag} Your API token "${m.name}" was revoked`,
        text: `Hello ${login},\n\nyour API token "${m.name}" was revoked by ${m.by}.\n\n  Reason: ${m.reason}\n\nCreate a new one at ${me} if you still need one.` + sign,
      };
    case 'published':
      return {
        subject: `${tag} ${m.crate}@${m.version} was published`,
        text:
          `Hello ${login},\n\na new version of ${m.crate}, a crate you own, was published.\n\n  Version: ${m.version}\n  By:      ${m.by}\n  Through: ${m.via}\n\n` +
          `${site.publicUrl}/crates/${m.crate}/${m.version}\n\n${notYou}\n` +
          `To stop these notices for ${m.crate}, turn them off at ${me}.` +
          sign,
      };
    case 'trustpub-config':
      return {
        subject: `${tag} Trusted publishing for ${m.crate}: a configuration was ${m.change}`,
        text:
          `Hello ${login},\n\n${m.by} ${m.change} a trusted-publishing configuration of ${m.crate}, a crate you own:\n\n  ${m.config}\n\n` +
          `${m.change === 'added' ? 'CI runs it names may now publish new versions without an API token.\n\n' : ''}${notYou}` +
          sign,
      };
    case 'security':
      return {
        subject: `${tag} Security notice: ${SECURITY_SUBJECTS[m.event]}`,
        text: `Hello ${login},\n\n${SECURITY_SUBJECTS[m.event]}.\n\n  ${m.detail}\n\n${notYou}` + sign,
      };
    case 'owner-invitation':
      return {
        subject: `${tag} ${m.inviter} invites you to own ${m.crate}`,
        text: `Hello ${login},\n\n${m.inviter} invited you to become an owner of ${m.crate}. Accept or decline at:\n\n${m.link}` + sign,
      };
  }
}
