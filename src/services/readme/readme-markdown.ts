import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import ini from 'highlight.js/lib/languages/ini';
import json from 'highlight.js/lib/languages/json';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import MarkdownIt from 'markdown-it';
import footnote from 'markdown-it-footnote';
import type { StateCore, Token } from 'markdown-it';

/**
 * Only the languages READMEs of crates show most are registered: each costs the worker's start.
 * TOML is highlighted as INI (highlight.js's own alias).
 */
hljs.registerLanguage('rust', rust);
hljs.registerLanguage('ini', ini);
hljs.registerLanguage('bash', bash);
hljs.registerLanguage('shell', shell);
hljs.registerLanguage('json', json);

/**
 * Block and inline structures nested deeper than this are left as text: real READMEs stay far
 * below it, and every level costs the parser and the sanitizer more.
 */
const MAX_NESTING = 20;

/** Code highlighted as HTML spans (class `hljs-*`), or '' to let markdown-it escape it plain. */
function highlight(code: string, lang: string): string {
  const name = lang.trim().split(/[\s,{]/)[0]!.toLowerCase();
  if (!name || !hljs.getLanguage(name)) return '';
  try {
    return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  } catch {
    return '';
  }
}

/**
 * markdown-it configured as READMEs are written on GitHub: raw HTML allowed (READMEs use it for
 * layout; the sanitizer decides what stays), autolinks, tables, footnotes, task lists, alerts,
 * heading anchors and highlighted code.
 */
export function readmeMarkdown() {
  const md = new MarkdownIt({ html: true, linkify: true, typographer: false, maxNesting: MAX_NESTING, highlight });
  md.use(footnote);
  md.core.ruler.push('wharf_heading_ids', headingIds);
  md.core.ruler.push('wharf_task_lists', taskLists);
  md.core.ruler.push('wharf_alerts', alerts);
  return md;
}

/** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as `-`; repeats get `-1`, `-2`. */
export function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const inlineText = (token: Token | undefined): string =>
  (token?.children ?? []).filter((t) => t.type === 'text' || t.type === 'code_inline').map((t) => t.content).join('');

/** Ids without the prefix: the sanitizer adds `user-content-` to every id, ours and the author's. */
function headingIds(state: StateCore): void {
  const seen = new Map<string, number>();
  state.tokens.forEach((token, i) => {
    if (token.type !== 'heading_open') return;
    const base = slug(inlineText(state.tokens[i + 1])) || 'section';
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const id = n === 0 ? base : `${base}-${n}`;
    token.attrSet('id', id);
    // A link to the heading itself, for sharing a section; the sanitizer prefixes its target as it
    // does the id. Empty: the stylesheet draws its "#", so the heading's text stays the author's.
    const inline = state.tokens[i + 1];
    if (inline?.type !== 'inline') return;
    const anchor = new state.Token('html_inline', '', 0);
    anchor.content = `<a class="heading-anchor" href="#${id}" title="Link to this section"></a>`;
    (inline.children ??= []).push(anchor);
  });
}

const TASK = /^\[([ xX])\]\s/;

/** `- [ ] todo` and `- [x] done` as disabled checkboxes. */
function taskLists(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    const inline = tokens[i]!;
    if (inline.type !== 'inline' || tokens[i - 1]!.type !== 'paragraph_open' || tokens[i - 2]!.type !== 'list_item_open') continue;
    const first = inline.children?.[0];
    const match = first?.type === 'text' ? TASK.exec(first.content) : null;
    if (!first || !match) continue;
    first.content = first.content.slice(match[0].length);
    const box = new state.Token('html_inline', '', 0);
    box.content = `<input type="checkbox" disabled${match[1] === ' ' ? '' : ' checked'}> `;
    inline.children!.unshift(box);
    tokens[i - 2]!.attrJoin('class', 'task-list-item');
  }
}

const ALERTS: Record<string, string> = { NOTE: 'Note', TIP: 'Tip', IMPORTANT: 'Important', WARNING: 'Warning', CAUTION: 'Caution' };
const ALERT = /^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$/i;

/** GitHub's alerts: a blockquote whose first line is `[!NOTE]` (TIP, IMPORTANT, WARNING, CAUTION). */
function alerts(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 0; i + 2 < tokens.length; i++) {
    const open = tokens[i]!;
    if (open.type !== 'blockquote_open' || tokens[i + 1]!.type !== 'paragraph_open') continue;
    const inline = tokens[i + 2]!;
    const children = inline.children ?? [];
    const first = children[0];
    const match = first?.type === 'text' ? ALERT.exec(first.content) : null;
    if (!first || !match || (children.length > 1 && children[1]!.type !== 'softbreak')) continue;
    const kind = match[1]!.toUpperCase();
    // The marker's line becomes the alert's title; the rest of the paragraph stays.
    children.splice(0, children.length > 1 ? 2 : 1);
    if (children.length === 0) tokens.splice(i + 1, 3);
    const title = new state.Token('html_block', '', 0);
    title.content = `<p class="markdown-alert-title">${ALERTS[kind]}</p>\n`;
    tokens.splice(i + 1, 0, title);
    open.tag = 'div';
    open.attrJoin('class', `markdown-alert markdown-alert-${kind.toLowerCase()}`);
    const depth = open.level;
    for (let j = i + 1; j < tokens.length; j++) {
      if (tokens[j]!.type === 'blockquote_close' && tokens[j]!.level === depth) {
        tokens[j]!.tag = 'div';
        break;
      }
    }
  }
}
