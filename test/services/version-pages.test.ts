import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion } from '../../src/core/semver.js';
import { bySemverDescending, defaultOfSorted, isAboveAll } from '../../src/core/version-order.js';
import { sliceVersions } from '../../src/services/version-pages.js';

const number = fc.oneof(fc.constantFrom(0, 1, 2, 10), fc.nat({ max: 1_000_000 })).map(String);
const identifier = fc.oneof(number, fc.constantFrom('alpha', 'beta', 'rc', 'a-1', 'x', 'RC', '1a'));
const version = fc
  .tuple(number, number, number, fc.array(identifier, { maxLength: 3 }), fc.option(fc.constantFrom('build.5', 'sha-1', '001')))
  .map(([a, b, c, pre, build]) => `${a}.${b}.${c}${pre.length > 0 ? `-${pre.join('.')}` : ''}${build ? `+${build}` : ''}`);

const keys = (nums: string[], yanked: string[] = []) => nums.map((num, i) => ({ id: i + 1, num, yanked: yanked.includes(num) ? 1 : 0 }));

describe('version ordering on stored versions', () => {
  it('orders exactly as the validating parser does (highest first)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(version, { maxLength: 30, selector: (v) => v.split('+')[0] }), (nums) => {
        const expected = [...nums].sort((a, b) => compareVersions(parseVersion(b), parseVersion(a)));
        expect(bySemverDescending(nums.map((num) => ({ num }))).map((v) => v.num)).toEqual(expected);
      }),
    );
  });

  it('tells a new highest version as the validating parser does', () => {
    fc.assert(
      fc.property(version, fc.uniqueArray(version, { maxLength: 20, selector: (v) => v.split('+')[0] }), (num, nums) => {
        const expected = nums.every((other) => compareVersions(parseVersion(num), parseVersion(other)) > 0);
        expect(isAboveAll(num, nums.map((n) => ({ num: n })))).toBe(expected);
      }),
    );
  });

  it('picks the highest unyanked stable version, else the highest unyanked, else the highest', () => {
    const pick = (nums: string[], yanked: string[] = []) => defaultOfSorted(bySemverDescending(keys(nums, yanked)))?.num;
    expect(pick(['1.0.0', '1.10.0', '1.9.0', '2.0.0-rc.1'])).toBe('1.10.0');
    expect(pick(['1.0.0', '1.10.0', '2.0.0-rc.1'], ['1.10.0'])).toBe('1.0.0');
    expect(pick(['1.0.0-alpha', '1.0.0-beta'])).toBe('1.0.0-beta');
    expect(pick(['1.0.0', '2.0.0'], ['1.0.0', '2.0.0'])).toBe('2.0.0');
    expect(pick([])).toBeUndefined();
  });
});

describe('a page of versions', () => {
  const all = keys(['1.0.0', '1.1.0', '1.2.0']);
  const query = { sort: 'date' as const, perPage: 2, page: null, seek: null };

  it('ends with no next page when the seek cursor points at the last version', () => {
    expect(sliceVersions(all, { ...query, seek: 1 })).toEqual({ versions: [], total: 3, nextPage: null });
  });

  it('gives no next page when the page holds the last version', () => {
    const second = sliceVersions(all, { ...query, seek: 2 });
    expect(second.versions.map((v) => v.num)).toEqual(['1.0.0']);
    expect(second.nextPage).toBeNull();
  });
});
