/**
 * A tiny HTML template: `html` is a tagged template whose interpolations are escaped unless
 * they are already `Html` (another template, or `trusted()` output such as the sanitized
 * README). Escaping covers text and quoted attribute values; URLs in attributes also go
 * through `safeUrl`, since escaping alone does not stop `javascript:`.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Child = Html | string | number | boolean | null | undefined | readonly Child[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(child: Child): string {
  if (child === null || child === undefined || child === false || child === true) return '';
  if (child instanceof Html) return child.value;
  if (Array.isArray(child)) return (child as readonly Child[]).map(render).join('');
  return escapeHtml(String(child));
}

export function html(strings: TemplateStringsArray, ...values: Child[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Marks a string as HTML already made safe (sanitized, or built from escaped parts). */
export function trusted(value: string): Html {
  return new Html(value);
}

/** An http(s) URL to link to, or null: no `javascript:`, `data:` or other schemes, however spelled. */
export function safeUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

/** Links that leave the registry: the target cannot reach back to us, nor gain rank from us. */
export function externalLink(href: string | null | undefined, text: Child): Html {
  const url = safeUrl(href);
  if (!url) return html`<span>${text}</span>`;
  return html`<a href="${url}" rel="nofollow noopener noreferrer">${text}</a>`;
}

/** A date as `YYYY-MM-DD` inside a <time> element. */
export function date(iso: string | null | undefined, empty = 'never'): Html {
  if (!iso) return html`${empty}`;
  return html`<time datetime="${iso}">${iso.slice(0, 10)}</time>`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Percent-encodes a path segment, for links to crates, versions and users. */
export const seg = (s: string): string => encodeURIComponent(s);

/** "1 crate", "2 crates", "1,234 downloads": a count with its noun in the right number. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

const UNITS: ReadonlyArray<[number, string]> = [
  [365 * 86_400, 'year'],
  [30 * 86_400, 'month'],
  [7 * 86_400, 'week'],
  [86_400, 'day'],
  [3_600, 'hour'],
  [60, 'minute'],
];

/** "3 days ago" for a moment before `now`; "just now" under a minute (and for clock skew). */
export function relativeTime(iso: string, now: number): string {
  const seconds = Math.floor((now - Date.parse(iso)) / 1000);
  for (const [size, unit] of UNITS) {
    if (seconds >= size) return `${plural(Math.floor(seconds / size), unit)} ago`;
  }
  return 'just now';
}

/** A moment as "3 days ago", with the exact UTC time on hover and in `datetime`. */
export function ago(iso: string | null | undefined, now: number, empty = 'never'): Html {
  if (!iso || Number.isNaN(Date.parse(iso))) return html`${empty}`;
  const exact = `${iso.replace('T', ' ').slice(0, 19)} UTC`;
  return html`<time datetime="${iso}" title="${exact}">${relativeTime(iso, now)}</time>`;
}
