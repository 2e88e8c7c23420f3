import sanitizeHtml from 'sanitize-html';
import { ID_PREFIX, type ReadmeContext, rewriteUrl } from './readme-links.js';
import { readmeMarkdown } from './readme-markdown.js';

const markdown = readmeMarkdown();

const LINK_REL = 'nofollow noopener noreferrer';

/** README headings sit below the page's own h1 and h2, so they move down two levels. */
const HEADINGS: Record<string, string> = { h1: 'h3', h2: 'h4', h3: 'h5', h4: 'h6', h5: 'h6', h6: 'h6' };

const ALLOWED_TAGS = [
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'kbd', 'samp', 'var',
  'em', 'strong', 'b', 'i', 'u', 's', 'del', 'ins', 'sub', 'sup', 'small', 'mark', 'abbr', 'span', 'div',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption',
  'a', 'img', 'details', 'summary', 'section', 'input',
];

/**
 * The sanitizer's allowlist. READMEs are written by whoever publishes, so they are hostile until
 * sanitized: no script, style, iframe, form or event handler, only http(s) and mailto links
 * (entity-encoded or mixed-case `javascript:` included), inputs only as disabled checkboxes,
 * classes only those the renderer gives, every id prefixed with `user-content-` (so none can
 * clash with the page's), every link marked rel="nofollow noopener noreferrer", relative links
 * and images resolved (readme-links.ts) and external images sent through the image proxy. The
 * page's CSP is the second line.
 */
function options(ctx: ReadmeContext | null): sanitizeHtml.IOptions {
  return {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      '*': ['id'],
      a: ['href', 'title', 'rel', 'class'],
      img: ['src', 'alt', 'title', 'width', 'height', 'align'],
      th: ['align', 'colspan', 'rowspan'],
      td: ['align', 'colspan', 'rowspan'],
      ol: ['start', 'class'],
      abbr: ['title'],
      details: ['open'],
      code: ['class'],
      span: ['class'],
      li: ['class'],
      div: ['class'],
      p: ['class', 'align'],
      sup: ['class'],
      section: ['class'],
      hr: ['class'],
      input: ['type', 'checked', 'disabled'],
    },
    allowedClasses: {
      code: ['language-*'],
      span: ['hljs-*'],
      li: ['task-list-item', 'footnote-item'],
      div: ['markdown-alert', 'markdown-alert-*'],
      p: ['markdown-alert-title'],
      sup: ['footnote-ref'],
      a: ['footnote-backref', 'heading-anchor'],
      section: ['footnotes'],
      ol: ['footnotes-list'],
      hr: ['footnotes-sep'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: { '*': (tagName, attribs) => transform(tagName, attribs, ctx) },
    exclusiveFilter: (frame) => (frame.tag === 'img' && !frame.attribs.src) || (frame.tag === 'input' && frame.attribs.type !== 'checkbox'),
  };
}

function transform(tagName: string, attribs: sanitizeHtml.Attributes, ctx: ReadmeContext | null): sanitizeHtml.Tag {
  const out: sanitizeHtml.Attributes = { ...attribs };
  if (out.id !== undefined) {
    if (out.id === '') delete out.id;
    else if (!out.id.startsWith(ID_PREFIX)) out.id = ID_PREFIX + out.id;
  }
  switch (tagName) {
    case 'a': {
      const href = out.href === undefined ? null : rewriteUrl(out.href, 'link', ctx);
      if (href === null) delete out.href;
      else out.href = href;
      return { tagName, attribs: { ...out, rel: LINK_REL } };
    }
    case 'img': {
      const src = out.src === undefined ? null : rewriteUrl(out.src, 'image', ctx);
      // Without a src, exclusiveFilter drops the image.
      if (src === null) return { tagName, attribs: {} };
      return { tagName, attribs: { ...out, src } };
    }
    case 'input':
      if (out.type !== 'checkbox') return { tagName, attribs: {} };
      return { tagName, attribs: { type: 'checkbox', disabled: '', ...(out.checked !== undefined ? { checked: '' } : {}) } };
    default:
      return { tagName: HEADINGS[tagName] ?? tagName, attribs: out };
  }
}

/**
 * Markdown to sanitized HTML, its relative links resolved against `ctx` (none without it). Its
 * cost grows faster than its input on hostile READMEs (nested unclosed inline tags), so only the
 * render worker calls it, never a request (see renderer.ts).
 */
export function renderReadme(source: string, ctx: ReadmeContext | null = null): string {
  return sanitizeHtml(markdown.render(source), options(ctx));
}
