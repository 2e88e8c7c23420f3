import { describe, expect, it } from 'vitest';
import { expiryConflict } from '../../../src/http/web/account.routes.js';
import { CSS } from '../../../src/http/web/assets/stylesheet.js';
import { contrastRatio, DARK, GRAPHIC_PAIRS, LIGHT, TEXT_PAIRS } from '../../../src/http/web/assets/palette.js';
import { plural, relativeTime } from '../../../src/http/web/html.js';
import { safeNext } from '../../../src/http/web/request.js';
import { auditDetail } from '../../../src/http/web/views/admin.view.js';
import { downloadsGraph, lastDays } from '../../../src/http/web/views/downloads-graph.view.js';

describe('plural', () => {
  it.each([
    [0, 'crate', '0 crates'],
    [1, 'crate', '1 crate'],
    [2, 'crate', '2 crates'],
    [1234, 'download', '1,234 downloads'],
    [1, 'live token', '1 live token'],
    [3, 'child', '3 children', 'children'],
  ] as const)('%i %s', (n, one, expected, many?: string) => {
    expect(plural(n, one, many)).toBe(expected);
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-06-10T12:00:00Z');
  it.each([
    ['2026-06-10T11:59:30Z', 'just now'],
    ['2026-06-10T12:00:30Z', 'just now'],
    ['2026-06-10T11:59:00Z', '1 minute ago'],
    ['2026-06-10T10:00:00Z', '2 hours ago'],
    ['2026-06-09T12:00:00Z', '1 day ago'],
    ['2026-06-07T12:00:00Z', '3 days ago'],
    ['2026-05-27T12:00:00Z', '2 weeks ago'],
    ['2026-03-10T12:00:00Z', '3 months ago'],
    ['2024-06-10T12:00:00Z', '2 years ago'],
  ])('%s is %s', (iso, expected) => {
    expect(relativeTime(iso, now)).toBe(expected);
  });
});

describe('safeNext: where sign-in may send the user back to', () => {
  it.each([
    ['/me', '/me'],
    ['/crates/foo?page=2', '/crates/foo?page=2'],
    ['/search?q=a%20b', '/search?q=a%20b'],
  ])('keeps the same-origin path %s', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
  it.each([
    undefined,
    '',
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example/',
    'javascript:alert(1)',
    'me',
    '/me\nLocation: https://evil.example/',
    '/é',
    `/${'a'.repeat(600)}`,
  ])('refuses %s and sends to /me', (next) => {
    expect(safeNext(next)).toBe('/me');
  });
});

describe('the token form’s expiry', () => {
  it('is one choice when only one field is used', () => {
    expect(expiryConflict({ expiry: '30', customDays: '' })).toBeNull();
    expect(expiryConflict({ expiry: 'custom', customDays: '12' })).toBeNull();
    expect(expiryConflict({ expiry: 'none', customDays: '  ' })).toBeNull();
  });
  it('names both choices when they disagree', () => {
    expect(expiryConflict({ expiry: '90', customDays: '7' })).toBe('the expiry says 90 days but 7 custom days were also entered: choose “Custom” to use the days, or clear them');
    expect(expiryConflict({ expiry: 'none', customDays: '7' })).toMatch(/^the expiry says “Never” but 7 custom days/);
  });
});

describe('audit details', () => {
  it('are key: value lines, not JSON', () => {
    const out = String(auditDetail(JSON.stringify({ name: 'laptop', scopes: ['publish-new', 'yank'], expires_at: null, limits: { max: 3 } })));
    expect(out).toBe(
      '<ul class="kv"><li><span class="k">name:</span> laptop</li><li><span class="k">scopes:</span> publish-new, yank</li><li><span class="k">expires at:</span> none</li><li><span class="k">limits:</span> {&quot;max&quot;:3}</li></ul>',
    );
  });
  it('escape what they show, and keep text that is not JSON as text', () => {
    expect(String(auditDetail(JSON.stringify({ reason: '<script>x</script>' })))).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(String(auditDetail('plain <b>words</b>'))).toBe('<span>plain &lt;b&gt;words&lt;/b&gt;</span>');
    expect(auditDetail(null)).toBe('');
    expect(auditDetail('{}')).toBe('');
  });
});

describe('colours', () => {
  it.each([
    ['light', LIGHT],
    ['dark', DARK],
  ] as const)('text in the %s scheme meets WCAG AA (4.5:1), and graphics 3:1', (_name, palette) => {
    const weak = TEXT_PAIRS.map(([fg, bg]) => [fg, bg, contrastRatio(palette[fg], palette[bg])] as const).filter(([, , r]) => r < 4.5);
    expect(weak).toEqual([]);
    const faint = GRAPHIC_PAIRS.map(([fg, bg]) => [fg, bg, contrastRatio(palette[fg], palette[bg])] as const).filter(([, , r]) => r < 3);
    expect(faint).toEqual([]);
  });
  it('computes contrast as WCAG defines it', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
  it('the stylesheet follows the browser’s scheme and never forces light', () => {
    expect(CSS).toContain('@media (prefers-color-scheme: dark)');
    expect(CSS).not.toMatch(/color-scheme:\s*light\s*;/);
    // Every colour comes from the palette: no literal colour outside the variables.
    const rules = CSS.replace(/--[a-z0-9-]+: #[0-9a-f]{6};/g, '');
    expect(rules.match(/#[0-9a-f]{3,6}\b/gi)).toBeNull();
  });
});

describe('the downloads graph', () => {
  it('draws a line per version over the days, and says the total in words', () => {
    const days = lastDays(new Date('2026-06-10T15:00:00Z'), 90);
    expect(days).toHaveLength(90);
    expect([days[0], days[89]]).toEqual(['2026-03-13', '2026-06-10']);
    const out = String(downloadsGraph([{ label: '1.0.0', byDay: new Map([['2026-06-10', 4]]) }, { label: '0.9.0', byDay: new Map([['2026-06-01', 1]]) }], days));
    expect(out.match(/<polyline /g)).toHaveLength(2);
    expect(out).toContain('5 downloads in the last 90 days');
    expect(out).toContain('1.0.0: 4 downloads');
    expect(out).toContain('0.9.0: 1 download<');
    expect(String(downloadsGraph([], days))).toContain('No downloads in the last 90 days.');
  });
});
