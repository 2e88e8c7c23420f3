import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateToken,
  generateTrustpubToken,
  isWellFormedTrustpubToken,
  hashToken,
  isWellFormedToken,
  randomBase62,
  TOKEN_CHECKSUM_LENGTH,
  TOKEN_LENGTH,
  TOKEN_PATTERN,
  TOKEN_PREFIX,
  TOKEN_RANDOM_LENGTH,
} from '../../src/core/token.js';

// The digit order is part of the format: the checksum is written in it.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_START = TOKEN_PREFIX.length;
const RANDOM_END = RANDOM_START + TOKEN_RANDOM_LENGTH;

const tokens = Array.from({ length: 200 }, () => generateToken());

/** `token` with the character at `at` replaced by another base62 digit, `shift` places along. */
function mutate(token: string, at: number, shift: number): string {
  const next = BASE62[(BASE62.indexOf(token[at]!) + shift) % 62]!;
  return token.slice(0, at) + next + token.slice(at + 1);
}

/** A byte source that plays `bytes` and then zeros, as many as asked for each call. */
function scripted(bytes: readonly number[]): (n: number) => Buffer {
  let i = 0;
  return (n) => Buffer.from(Array.from({ length: n }, () => bytes[i++] ?? 0));
}

/** Pearson's chi-squared statistic of `counts` against a uniform distribution. */
function chiSquared(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

// For 61 degrees of freedom P(X > 117) ≈ 2e-5 (the p = 1e-4 point is 110.9): a sound generator
// fails about once in 50,000 runs, while the modulo bias the rejection step removes scores ~4,000.
const CHI2_CRITICAL_61 = 117;

describe('token format', () => {
  it('is `wharf_` + 38 base62 characters, 44 in all, and matches the scanner pattern', () => {
    expect(TOKEN_PREFIX).toBe('wharf_');
    expect(TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH).toBe(38);
    expect(TOKEN_LENGTH).toBe(44);
    const whole = new RegExp(`^${TOKEN_PATTERN.source}$`);
    for (const token of tokens) {
      expect(token).toHaveLength(44);
      expect(token).toMatch(/^wharf_[0-9A-Za-z]{38}$/);
      expect(token).toMatch(whole);
    }
  });

  it('the scanner pattern finds a token inside surrounding text', () => {
    const token = tokens[0]!;
    expect(`export CARGO_REGISTRY_TOKEN=${token}\n`.match(TOKEN_PATTERN)?.[0]).toBe(token);
  });

  it('32 random base62 characters carry at least 190 bits', () => {
    expect(TOKEN_RANDOM_LENGTH).toBe(32);
    expect(TOKEN_RANDOM_LENGTH * Math.log2(62)).toBeGreaterThan(190);
  });
});

describe('isWellFormedToken', () => {
  it('accepts every generated token', () => {
    for (const token of tokens) expect(isWellFormedToken(token)).toBe(true);
  });

  it('rejects a change to any one character of the random part or the checksum (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...tokens),
        fc.integer({ min: RANDOM_START, max: TOKEN_LENGTH - 1 }),
        fc.integer({ min: 1, max: 61 }),
        (token, at, shift) => {
          const changed = mutate(token, at, shift);
          expect(changed).not.toBe(token);
          expect(changed).toHaveLength(TOKEN_LENGTH);
          expect(isWellFormedToken(changed)).toBe(false);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('rejects every single-character change of a few tokens, exhaustively (CRC32 catches them all)', () => {
    for (const token of tokens.slice(0, 10)) {
      for (let at = RANDOM_START; at < TOKEN_LENGTH; at++) {
        for (let shift = 1; shift < 62; shift++) {
          if (isWellFormedToken(mutate(token, at, shift))) throw new Error(`accepted ${mutate(token, at, shift)}`);
        }
      }
    }
  });

  it('rejects two neighbouring characters swapped', () => {
    for (const token of tokens.slice(0, 20)) {
      for (let at = RANDOM_START; at < TOKEN_LENGTH - 1; at++) {
        if (token[at] === token[at + 1]) continue;
        const swapped = token.slice(0, at) + token[at + 1] + token[at] + token.slice(at + 2);
        expect(isWellFormedToken(swapped)).toBe(false);
      }
    }
  });

  const good = tokens[0]!;
  it.each([
    ['empty', ''],
    ['the prefix alone', 'wharf_'],
    ['a wrong prefix', `ghp_xx${good.slice(6)}`],
    ['an uppercase prefix', `WHARF_${good.slice(6)}`],
    ['a dash for the underscore', `wharf-${good.slice(6)}`],
    ['no prefix at all', good.slice(6)],
    ['one character short', good.slice(0, -1)],
    ['one character long', `${good}0`],
    ['the checksum missing', good.slice(0, RANDOM_END)],
    ['a Bearer prefix still attached', `Bearer ${good}`],
    ['a trailing newline', `${good}\n`],
    ['a space in the random part', mutateTo(good, 10, ' ')],
    ['a dash in the random part', mutateTo(good, 10, '-')],
    ['an underscore in the checksum', mutateTo(good, TOKEN_LENGTH - 1, '_')],
    ['a base64 `+`', mutateTo(good, 20, '+')],
    ['a base64 `/`', mutateTo(good, 20, '/')],
    ['a non-ASCII letter', mutateTo(good, 20, 'é')],
  ])('rejects %s', (_, token) => {
    expect(isWellFormedToken(token)).toBe(false);
  });

  it('rejects random strings of the right shape (the checksum is not decoration)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE62), minLength: 38, maxLength: 38 }), (tail) => {
        // One in 62^6 tails would carry a matching checksum by chance; fast-check will not find it.
        expect(isWellFormedToken(TOKEN_PREFIX + tail)).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });
});

function mutateTo(token: string, at: number, c: string): string {
  return token.slice(0, at) + c + token.slice(at + 1);
}

describe('hashToken', () => {
  it('is the SHA-256 of the token, 64 lowercase hex characters', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const token of tokens) {
      const hash = hashToken(token);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(hashToken(token));
      expect(hash).not.toContain(token.slice(RANDOM_START, RANDOM_END));
    }
  });

  it('differs for every token', () => {
    expect(new Set(tokens.map(hashToken)).size).toBe(tokens.length);
    expect(hashToken(tokens[0]!)).not.toBe(hashToken(mutate(tokens[0]!, RANDOM_START, 1)));
  });
});

describe('randomBase62', () => {
  it('returns exactly the requested number of base62 characters', () => {
    fc.assert(
      fc.property(fc.nat(300), (length) => {
        expect(randomBase62(length)).toMatch(new RegExp(`^[0-9A-Za-z]{${length}}$`));
      }),
      { numRuns: 200 },
    );
  });

  it('skips bytes >= 248, so each character is drawn from exactly 4 byte values', () => {
    // The high bytes come first; without rejection they would map to `0`..`7` and the counts would skew.
    const source = scripted([...Array.from({ length: 8 }, (_, i) => 248 + i), ...Array.from({ length: 248 }, (_, i) => i)]);
    const out = randomBase62(248, source);
    expect(out).toBe(Array.from({ length: 248 }, (_, i) => BASE62[i % 62]).join(''));
    for (const c of BASE62) expect(out.split(c).length - 1).toBe(4);
  });

  it('keeps asking the source when a whole batch is rejected', () => {
    let calls = 0;
    const source = (n: number) => Buffer.alloc(n, calls++ === 0 ? 0xff : 61);
    expect(randomBase62(5, source)).toBe('zzzzz');
    expect(calls).toBe(2);
  });

  it('maps any byte stream to the base62 digits of its bytes below 248, in order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }), fc.integer({ min: 1, max: 64 }), (bytes, length) => {
        const expected = [...bytes.filter((b) => b < 248), ...Array<number>(length).fill(0)]
          .slice(0, length)
          .map((b) => BASE62[b % 62])
          .join('');
        expect(randomBase62(length, scripted(bytes))).toBe(expected);
      }),
    );
  });

  it('chi-squared: generated tokens use the 62 characters uniformly', () => {
    const counts = new Array<number>(62).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const random = generateToken().slice(RANDOM_START, RANDOM_END);
      for (let j = 0; j < random.length; j++) counts[BASE62.indexOf(random[j]!)]!++;
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(640_000);
    expect(chiSquared(counts)).toBeLessThan(CHI2_CRITICAL_61);
  });

  it('chi-squared at this sample size does detect the modulo bias that rejection avoids', () => {
    // Guards the uniformity test above against being too weak to fail: plain `byte % 62`
    // makes `0`..`7` 5/4 as likely as the rest.
    const counts = new Array<number>(62).fill(0);
    for (const byte of randomBytes(640_000)) counts[byte % 62]!++;
    expect(chiSquared(counts)).toBeGreaterThan(10 * CHI2_CRITICAL_61);
  });

  it('repeats no value in 10^6 draws of 32 characters', () => {
    // Measured on a 2-core machine: 10^6 generateToken() calls take ~12 s, nearly all in 10^6
    // separate 64-byte randomBytes() calls (~5 us each), and so does randomBase62(32) with its
    // default source. So this calls randomBase62(32) directly 10^6 times, fed by the CSPRNG in
    // 1 MiB batches: 4-7 s there, over half of it in the Set. The default wiring to randomBytes
    // is covered by the chi-squared test on generateToken() above.
    let pool = randomBytes(1 << 20);
    let offset = 0;
    const pooled = (n: number): Buffer => {
      if (offset + n > pool.length) {
        pool = randomBytes(1 << 20);
        offset = 0;
      }
      offset += n;
      return pool.subarray(offset - n, offset);
    };
    const seen = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) seen.add(randomBase62(TOKEN_RANDOM_LENGTH, pooled));
    expect(seen.size).toBe(1_000_000);
  });
});

describe('trusted-publishing tokens', () => {
  it('are `wharf_tp_` + 38 base62 characters, told apart from user tokens by shape and checksum alone', () => {
    const token = generateTrustpubToken();
    expect(token).toMatch(/^wharf_tp_[0-9A-Za-z]{38}$/);
    expect(isWellFormedTrustpubToken(token)).toBe(true);
    expect(isWellFormedToken(token)).toBe(false);
    expect(isWellFormedTrustpubToken(generateToken())).toBe(false);
    const last = token.at(-1) === 'a' ? 'b' : 'a';
    expect(isWellFormedTrustpubToken(token.slice(0, -1) + last)).toBe(false);
  });

  it('match the scanner pattern inside surrounding text', () => {
    const token = generateTrustpubToken();
    expect(`CARGO_REGISTRY_TOKEN=${token}\n`.match(TOKEN_PATTERN)?.[0]).toBe(token);
  });
});
