import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('crate deletion settings', () => {
  const load = (env: Record<string, string> = {}) => loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test', ...env });

  it("defaults to crates.io's rule: 72 hours, 1000 downloads a month, names reserved 24 hours", () => {
    const c = load();
    expect([c.crateDeletion, c.crateDeletionGraceHours, c.crateDeletionMonthlyDownloads, c.deletedNameReserveHours]).toEqual(['rfc3660', 72, 1000, 24]);
  });

  it('reads each from the environment', () => {
    const c = load({ WHARF_CRATE_DELETION: 'admins', WHARF_CRATE_DELETION_GRACE_HOURS: '24', WHARF_CRATE_DELETION_MONTHLY_DOWNLOADS: '500', WHARF_DELETED_NAME_RESERVE_HOURS: '0' });
    expect([c.crateDeletion, c.crateDeletionGraceHours, c.crateDeletionMonthlyDownloads, c.deletedNameReserveHours]).toEqual(['admins', 24, 500, 0]);
  });

  it('refuses an unknown policy and a negative number, naming the setting', () => {
    expect(() => load({ WHARF_CRATE_DELETION: 'anyone' })).toThrow(ConfigError);
    expect(() => load({ WHARF_CRATE_DELETION: 'anyone' })).toThrow(/WHARF_CRATE_DELETION: must be one of rfc3660, owners, admins/);
    expect(() => load({ WHARF_DELETED_NAME_RESERVE_HOURS: '-1' })).toThrow(/WHARF_DELETED_NAME_RESERVE_HOURS/);
  });
});
