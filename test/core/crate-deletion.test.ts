import { describe, expect, it } from 'vitest';
import { type DeletionFacts, type DeletionRule, downloadAllowance, ownerDeletionRefusal } from '../../src/core/crate-deletion.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const rfc: DeletionRule = { policy: 'rfc3660', graceHours: 72, monthlyDownloads: 1000 };
const lone: DeletionFacts = { ageMs: 10 * DAY, owners: 1, downloads: 0, dependent: null };

describe('downloadAllowance', () => {
  it.each([
    [0, 0],
    [23 * HOUR, 0],
    [DAY, 1000],
    [3 * DAY + HOUR, 1000],
    [30 * DAY, 1000],
    [31 * DAY, 2000],
    [60 * DAY + 23 * HOUR, 2000],
    [61 * DAY, 3000],
    [365 * DAY, 13_000],
  ])('a crate %i ms old may have %i downloads', (age, allowed) => {
    expect(downloadAllowance(age, 1000)).toBe(allowed);
  });
});

describe('ownerDeletionRefusal', () => {
  const cases: Array<[string, DeletionRule, Partial<DeletionFacts>, RegExp | null]> = [
    ['young, shared, busy: allowed', rfc, { ageMs: 71 * HOUR, owners: 3, downloads: 1_000_000 }, null],
    ['exactly at the grace period: allowed', rfc, { ageMs: 72 * HOUR, owners: 2 }, null],
    ['old, one owner, no downloads: allowed', rfc, {}, null],
    ['old and shared', rfc, { owners: 2 }, /single owner .*after 72 hours/],
    ['old, at the allowance: allowed', rfc, { downloads: 1000 }, null],
    ['old, one over the allowance', rfc, { downloads: 1001 }, /at most 1000 downloads per month .*1001, at most 1000 allowed/],
    ['young but depended on', rfc, { ageMs: HOUR, dependent: 'user@1.0.0' }, /user@1\.0\.0 depends on this crate/],
    ['owners policy: old, shared and busy', { ...rfc, policy: 'owners' }, { ageMs: 900 * DAY, owners: 5, downloads: 1e9 }, null],
    ['owners policy: depended on', { ...rfc, policy: 'owners' }, { dependent: 'a@1.0.0' }, /a@1\.0\.0/],
    ['admins policy: even a young crate', { ...rfc, policy: 'admins' }, { ageMs: 0 }, /only administrators/],
    ['a longer grace period', { ...rfc, graceHours: 24 * 30 }, { owners: 9, downloads: 1e6 }, null],
    ['a higher allowance', { ...rfc, monthlyDownloads: 5000 }, { downloads: 5000 }, null],
  ];
  it.each(cases)('%s', (_label, rule, facts, refusal) => {
    const answer = ownerDeletionRefusal(rule, { ...lone, ...facts });
    if (refusal === null) expect(answer).toBeNull();
    else expect(answer).toMatch(refusal);
  });
});
