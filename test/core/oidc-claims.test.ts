import { describe, expect, it } from 'vitest';
import { admission, loginCandidate, loginVariant, type OidcRules } from '../../src/core/oidc-claims.js';

const OPEN: OidcRules = { allowedDomains: [], allowedGroups: [], groupsClaim: 'groups', adminGroups: [] };

describe('admission', () => {
  it.each([
    ['anyone, when nothing is restricted', {}, OPEN, true],
    ['a verified address of an allowed domain', { email: 'a@Example.com', email_verified: true }, { ...OPEN, allowedDomains: ['example.com'] }, true],
    ['an unverified address', { email: 'a@example.com', email_verified: false }, { ...OPEN, allowedDomains: ['example.com'] }, false],
    ['"true" as a string is not verified', { email: 'a@example.com', email_verified: 'true' }, { ...OPEN, allowedDomains: ['example.com'] }, false],
    ['a look-alike domain', { email: 'a@example.com.evil.test', email_verified: true }, { ...OPEN, allowedDomains: ['example.com'] }, false],
    ['no address at all', {}, { ...OPEN, allowedDomains: ['example.com'] }, false],
    ['a member of an allowed group', { groups: ['x', 'staff'] }, { ...OPEN, allowedGroups: ['staff'] }, true],
    ['one group as a string', { team: 'staff' }, { ...OPEN, allowedGroups: ['staff'], groupsClaim: 'team' }, true],
    ['no allowed group', { groups: ['Staff'] }, { ...OPEN, allowedGroups: ['staff'] }, false],
  ] as const)('%s', (_name, claims, rules, allowed) => {
    expect(admission(claims, rules).allowed).toBe(allowed);
  });

  it('says admin only when admin groups are set', () => {
    expect(admission({ groups: ['admins'] }, OPEN)).toMatchObject({ admin: null });
    expect(admission({ groups: ['admins'] }, { ...OPEN, adminGroups: ['admins'] })).toMatchObject({ admin: true });
    expect(admission({ groups: ['dev'] }, { ...OPEN, adminGroups: ['admins'] })).toMatchObject({ admin: false });
  });
});

describe('loginCandidate', () => {
  it.each([
    [{ preferred_username: 'ada' }, 'ada'],
    [{ preferred_username: 'ada@example.com' }, 'ada'],
    [{ email: 'grace.hopper@example.com' }, 'grace.hopper'],
    [{ preferred_username: 'Zoë Ångström' }, 'Zoe-Angstrom'],
    [{ preferred_username: '--x--' }, 'x'],
    [{ preferred_username: '日本' }, 'user'],
    [{}, 'user'],
    [{ preferred_username: 'a'.repeat(60) }, 'a'.repeat(34)],
  ])('%j -> %s', (claims, login) => {
    const made = loginCandidate(claims);
    expect(made).toBe(login);
    expect(loginVariant(made, 99)).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/);
  });
});
