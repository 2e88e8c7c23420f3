/**
 * The two colour schemes, as CSS custom properties. Kept apart from the stylesheet so a test can
 * compute the contrast of every text colour on every background it is drawn on (WCAG AA, 4.5:1).
 */
export type Palette = Readonly<Record<PaletteKey, string>>;

export type PaletteKey =
  | 'fg'
  | 'muted'
  | 'bg'
  | 'panel'
  | 'line'
  | 'field-line'
  | 'accent'
  | 'button-bg'
  | 'button-fg'
  | 'danger'
  | 'danger-bg'
  | 'ok'
  | 'notice-bg'
  | 'error-bg'
  | 'secret-bg'
  | 'secret-line'
  | 'focus'
  | 'series-0'
  | 'series-1'
  | 'series-2'
  | 'series-3'
  | 'series-4'
  | 'series-5';

export const LIGHT: Palette = {
  fg: '#1d232a',
  muted: '#525c66',
  bg: '#ffffff',
  panel: '#f4f6f8',
  line: '#d5dbe1',
  'field-line': '#76828f',
  accent: '#0b5cad',
  'button-bg': '#0b5cad',
  'button-fg': '#ffffff',
  danger: '#a4161a',
  'danger-bg': '#a4161a',
  ok: '#1b6e3a',
  'notice-bg': '#eef7f1',
  'error-bg': '#fbeeee',
  'secret-bg': '#fff8e1',
  'secret-line': '#b08a1a',
  focus: '#c77700',
  'series-0': '#0b5cad',
  'series-1': '#b3541e',
  'series-2': '#1b6e3a',
  'series-3': '#7b3fa0',
  'series-4': '#a4161a',
  'series-5': '#5f6b77',
};

export const DARK: Palette = {
  fg: '#e6e9ec',
  muted: '#a7b1bc',
  bg: '#12161b',
  panel: '#1b2128',
  line: '#35404b',
  'field-line': '#7d8a97',
  accent: '#7ab8ff',
  'button-bg': '#1d63b0',
  'button-fg': '#ffffff',
  danger: '#ff9a9a',
  'danger-bg': '#b42328',
  ok: '#7fd49b',
  'notice-bg': '#15281d',
  'error-bg': '#2e1719',
  'secret-bg': '#2a2410',
  'secret-line': '#a08530',
  focus: '#ffb74d',
  'series-0': '#7ab8ff',
  'series-1': '#f0a070',
  'series-2': '#7fd49b',
  'series-3': '#c9a0ff',
  'series-4': '#ff9a9a',
  'series-5': '#b8c2cc',
};

/**
 * Text colour on background, for every pairing the stylesheet draws. The contrast test checks
 * each in both schemes; add a pair here when a rule draws a new combination.
 */
export const TEXT_PAIRS: ReadonlyArray<[PaletteKey, PaletteKey]> = [
  ['fg', 'bg'],
  ['fg', 'panel'],
  ['muted', 'bg'],
  ['muted', 'panel'],
  ['accent', 'bg'],
  ['accent', 'panel'],
  ['button-fg', 'button-bg'],
  ['button-fg', 'danger-bg'],
  ['danger', 'bg'],
  ['ok', 'bg'],
  ['fg', 'notice-bg'],
  ['accent', 'notice-bg'],
  ['fg', 'error-bg'],
  ['accent', 'error-bg'],
  ['fg', 'secret-bg'],
];

/** Non-text parts (graph lines, focus rings) need 3:1 against the background (WCAG 1.4.11). */
export const GRAPHIC_PAIRS: ReadonlyArray<[PaletteKey, PaletteKey]> = [
  ['focus', 'bg'],
  ['field-line', 'bg'],
  ['series-0', 'bg'],
  ['series-1', 'bg'],
  ['series-2', 'bg'],
  ['series-3', 'bg'],
  ['series-4', 'bg'],
  ['series-5', 'bg'],
];

export const cssVariables = (p: Palette): string =>
  Object.entries(p)
    .map(([k, v]) => `--${k}: ${v};`)
    .join(' ');

/** Relative luminance of `#rrggbb` (WCAG 2.x). */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
