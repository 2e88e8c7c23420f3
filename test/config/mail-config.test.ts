import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

describe('e-mail settings', () => {
  it('reads smtp_url and mail_from from the environment, with no e-mail and a From on the public host by default', () => {
    const off = loadConfig({ WHARF_PUBLIC_URL: 'https://crates.example.com' });
    expect(off.smtpUrl).toBeNull();
    expect(off.mailFrom).toBe('Wharf <wharf@crates.example.com>');
    const on = loadConfig({ WHARF_SMTP_URL: 'smtps://user:secret@mail.example.com:465', WHARF_MAIL_FROM: 'Crates <crates@example.com>' });
    expect(on.smtpUrl).toBe('smtps://user:secret@mail.example.com:465');
    expect(on.mailFrom).toBe('Crates <crates@example.com>');
  });

  it.each([
    [{ WHARF_SMTP_URL: 'http://mail.example.com' }, /WHARF_SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/],
    [{ WHARF_SMTP_URL: 'not a url' }, /WHARF_SMTP_URL: must be a URL such as/],
    [{ WHARF_MAIL_FROM: 'nobody' }, /WHARF_MAIL_FROM: must be an address/],
    [{ WHARF_MAIL_FROM: 'A <a@b>\r\nBcc: x@y' }, /WHARF_MAIL_FROM: must be an address/],
  ])('refuses %o at start', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
