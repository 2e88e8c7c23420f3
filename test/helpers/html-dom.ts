import { type Document, type Element, isTag, isText, type AnyNode } from 'domhandler';
import { parseDocument } from 'htmlparser2';

/** Parses a page the way a browser's tokenizer would (entities in attributes decoded). */
export function parseHtml(html: string): Document {
  return parseDocument(html, { decodeEntities: true, lowerCaseAttributeNames: true, lowerCaseTags: true });
}

export function elements(root: Document | Element): Element[] {
  const out: Element[] = [];
  const walk = (nodes: readonly AnyNode[]) => {
    for (const n of nodes) {
      if (isTag(n)) {
        out.push(n);
        walk(n.children);
      }
    }
  };
  walk(root.children);
  return out;
}

export const attr = (e: Element, name: string): string | undefined => e.attribs[name];

const BLOCKS = new Set(['address', 'aside', 'blockquote', 'dd', 'div', 'dl', 'dt', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'td', 'th', 'tr', 'ul', 'title', 'br']);

/** The text a reader sees, with blocks (and table cells) apart and whitespace collapsed. */
export function textOf(node: Element | Document): string {
  let out = '';
  const walk = (nodes: readonly AnyNode[]) => {
    for (const n of nodes) {
      if (isText(n)) out += n.data;
      else if (isTag(n)) {
        const block = BLOCKS.has(n.name);
        if (block) out += ' ';
        walk(n.children);
        if (block) out += ' ';
      }
    }
  };
  walk(node.children);
  return out.replace(/\s+/g, ' ').trim();
}

/** The first element with this class, or undefined. */
export function byClass(root: Document | Element, cls: string): Element | undefined {
  return elements(root).find((e) => (attr(e, 'class') ?? '').split(/\s+/).includes(cls));
}

const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background', 'srcset', 'cite'];
const DANGEROUS_SCHEME = /^\s*(javascript|vbscript|data|livescript)\s*:/i;

/**
 * Everything in a page that a browser could run or be steered by: script elements (other than
 * our own same-origin file in <head>), event handler attributes, javascript:/data: URLs,
 * frames and plugins, forms outside our own, meta refresh, base, inline style.
 */
export function executableVectors(html: string, { allowOwnForms = true }: { allowOwnForms?: boolean } = {}): string[] {
  const problems: string[] = [];
  for (const e of elements(parseHtml(html))) {
    const where = `<${e.name}>`;
    if (e.name === 'script' && !/^\/static\/wharf\.[0-9a-f]+\.js$/.test(attr(e, 'src') ?? '')) problems.push(`script element ${JSON.stringify(e.attribs)}`);
    if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'style', 'svg', 'math', 'link'].includes(e.name)) {
      const ownStylesheet = e.name === 'link' && attr(e, 'rel') === 'stylesheet' && /^\/static\/wharf\.[0-9a-f]+\.css$/.test(attr(e, 'href') ?? '');
      const ownIcon = e.name === 'link' && attr(e, 'rel') === 'icon' && /^\/static\/wharf\.[0-9a-f]+\.svg$/.test(attr(e, 'href') ?? '');
      // The downloads graph: drawn by Wharf, lines and text only (its attributes are checked below like any other).
      const ownGraph = e.name === 'svg' && attr(e, 'class') === 'graph';
      if (!ownStylesheet && !ownIcon && !ownGraph) problems.push(`${where} element`);
    }
    if (e.name === 'meta' && attr(e, 'http-equiv')) problems.push(`meta http-equiv=${attr(e, 'http-equiv')}`);
    if (e.name === 'form' && !(allowOwnForms && /^\/[a-z]/.test(attr(e, 'action') ?? ''))) problems.push(`form to ${attr(e, 'action')}`);
    for (const [name, value] of Object.entries(e.attribs)) {
      if (/^on/i.test(name)) problems.push(`${where} ${name}=`);
      if (name === 'style') problems.push(`${where} style=`);
      // Browsers drop tabs and newlines inside URLs, so "java\tscript:" is javascript: too.
      if (URL_ATTRIBUTES.includes(name) && DANGEROUS_SCHEME.test(value.replace(/[\t\n\r\0]/g, ''))) problems.push(`${where} ${name}=${value}`);
    }
    if (e.name === 'a' && /^https?:|^mailto:/i.test(attr(e, 'href') ?? '')) {
      const rel = (attr(e, 'rel') ?? '').split(/\s+/);
      for (const needed of ['nofollow', 'noopener', 'noreferrer']) if (!rel.includes(needed)) problems.push(`link ${attr(e, 'href')} lacks rel=${needed}`);
    }
  }
  return problems;
}

/**
 * An accessibility smoke check: lang and title set, one h1 and no skipped heading levels,
 * every control labelled, nothing reachable only by mouse or out of tab order.
 */
export function accessibilityProblems(html: string): string[] {
  const doc = parseHtml(html);
  const all = elements(doc);
  const problems: string[] = [];
  const root = all.find((e) => e.name === 'html');
  if (!root || !attr(root, 'lang')) problems.push('<html> has no lang');
  const title = all.find((e) => e.name === 'title');
  if (!title || textOf(title) === '') problems.push('no <title>');

  const headings = all.filter((e) => /^h[1-6]$/.test(e.name)).map((e) => Number(e.name[1]));
  if (headings.filter((h) => h === 1).length !== 1) problems.push(`expected one h1, found ${headings.filter((h) => h === 1).length}`);
  if (headings[0] !== 1) problems.push(`the first heading is h${headings[0]}`);
  for (let i = 1; i < headings.length; i++) {
    if (headings[i]! > headings[i - 1]! + 1) problems.push(`heading h${headings[i]} follows h${headings[i - 1]}`);
  }

  const labelled = new Set(all.filter((e) => e.name === 'label' && attr(e, 'for')).map((e) => attr(e, 'for')));
  const insideLabel = (e: Element) => {
    for (let p = e.parent; p; p = p.parent) if (isTag(p) && p.name === 'label') return true;
    return false;
  };
  for (const e of all) {
    const type = (attr(e, 'type') ?? 'text').toLowerCase();
    const control = e.name === 'select' || e.name === 'textarea' || (e.name === 'input' && !['hidden', 'submit', 'button', 'reset', 'image'].includes(type));
    if (control) {
      const id = attr(e, 'id');
      if (!(attr(e, 'aria-label') || (id && labelled.has(id)) || insideLabel(e))) problems.push(`unlabelled <${e.name} name=${attr(e, 'name')}>`);
    }
    const tabindex = attr(e, 'tabindex');
    if (tabindex !== undefined && Number(tabindex) > 0) problems.push(`positive tabindex on <${e.name}>`);
    if (attr(e, 'role') === 'button' || (attr(e, 'onclick') !== undefined && e.name !== 'button')) problems.push(`<${e.name}> acting as a button`);
    if (e.name === 'a' && attr(e, 'href') === undefined && !attr(e, 'id') && !attr(e, 'name')) problems.push('<a> without href cannot be focused');
    if (e.name === 'button' && textOf(e) === '' && !attr(e, 'aria-label')) problems.push('a button without a name');
    if (e.name === 'form') {
      const submit = elements(e).some((c) => (c.name === 'button' && (attr(c, 'type') ?? 'submit') === 'submit') || (c.name === 'input' && attr(c, 'type') === 'submit'));
      if (!submit) problems.push(`form ${attr(e, 'action')} has no submit button`);
    }
  }
  const ids = all.map((e) => attr(e, 'id')).filter((id): id is string => id !== undefined);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dupes.length > 0) problems.push(`duplicate ids ${dupes.join(', ')}`);
  return problems;
}
