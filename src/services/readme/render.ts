import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * Block and inline structures nested deeper than this are left as text: real READMEs stay far
 * below it, and every level costs the parser and the sanitizer more.
 */
const MAX_NESTING = 20;

/**
 * READMEs are written by whoever publishes, so they are hostile until sanitized. markdown-it
 * renders them (raw HTML allowed, as on crates.io, since READMEs use it for layout), then
 * sanitize-html keeps an allowlist: no script, style, iframe, form or event handler, only
 * http(s) and mailto links (entity-encoded or mixed-case `javascript:` included), and every
 * link marked rel="nofollow noopener noreferrer". The page's CSP is the second line.
 */
const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false, maxNesting: MAX_NESTING });

const LINK_REL = 'nofollow noopener noreferrer';

/** README headings sit below the page's own h1 and h2, so they move down two levels. */
const demote = (level: number) => `h${Math.min(level + 2, 6)}`;

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'kbd', 'samp', 'var',
    'em', 'strong', 'b', 'i', 'u', 's', 'del', 'ins', 'sub', 'sup', 'small', 'mark', 'abbr', 'span', 'div',
    'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption',
    'a', 'img', 'details', 'summary',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    th: ['align', 'colspan', 'rowspan'],
    td: ['align', 'colspan', 'rowspan'],
    ol: ['start'],
    abbr: ['title'],
    details: ['open'],
    code: ['class'],
  },
  allowedClasses: { code: ['language-*'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: LINK_REL } }),
    h1: demote(1),
    h2: demote(2),
    h3: demote(3),
    h4: demote(4),
    h5: demote(5),
    h6: demote(6),
  },
};

/**
 * Markdown to sanitized HTML. Its cost grows faster than its input on hostile READMEs (nested
 * unclosed inline tags), so only the render worker calls it, never a request (see renderer.ts).
 */
export function renderReadme(source: string): string {
  return sanitizeHtml(markdown.render(source), OPTIONS);
}
