import { createHash } from 'node:crypto';

/**
 * The stylesheet and the one script, compiled into the program (no file reads, nothing from
 * another origin). Their URLs carry a hash of their content, so they can be cached forever.
 */
const CSS = `
:root { --fg: #1d232a; --muted: #5a6570; --bg: #fff; --panel: #f4f6f8; --line: #d5dbe1; --accent: #0b5cad; --danger: #a4161a; --ok: #1b6e3a; color-scheme: light; }
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--fg); color: #fff; padding: .5rem 1rem; }
.skip:focus { left: 0; }
header.site { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.site .brand { font-weight: 700; font-size: 1.2rem; text-decoration: none; color: var(--fg); }
header.site form.search { flex: 1 1 16rem; display: flex; gap: .5rem; }
header.site nav { display: flex; gap: 1rem; align-items: center; }
header.site nav form { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
footer.site { max-width: 72rem; margin: 2rem auto; padding: 1rem 1.5rem; color: var(--muted); border-top: 1px solid var(--line); font-size: .9rem; }
h1 { font-size: 1.8rem; margin: 0 0 1rem; word-break: break-word; }
h2 { font-size: 1.3rem; margin: 1.5rem 0 .75rem; }
h3 { font-size: 1.1rem; }
input, select, textarea, button { font: inherit; }
input[type=text], input[type=search], input[type=password], input[type=email], input[type=number], input[type=date], select, textarea { padding: .4rem .5rem; border: 1px solid #8a96a3; border-radius: 4px; background: #fff; color: var(--fg); max-width: 100%; }
input[type=search] { flex: 1; }
button { padding: .4rem .9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.field { margin: 0 0 1rem; }
.field label, fieldset legend { display: block; font-weight: 600; margin-bottom: .25rem; }
.field .hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 1rem; padding: .75rem 1rem; }
fieldset label { display: inline-flex; gap: .35rem; align-items: center; margin-right: 1rem; font-weight: 400; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin: 0 0 1.5rem; }
.notice { border-left: 4px solid var(--ok); background: #eef7f1; padding: .75rem 1rem; margin: 0 0 1rem; }
.error { border-left: 4px solid var(--danger); background: #fbeeee; padding: .75rem 1rem; margin: 0 0 1rem; }
.muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1.5rem; }
.crate-layout { display: grid; grid-template-columns: minmax(0, 1fr) 20rem; gap: 2rem; }
@media (max-width: 50rem) { .crate-layout { grid-template-columns: 1fr; } }
.totals { display: flex; gap: 2rem; flex-wrap: wrap; list-style: none; padding: 0; }
.totals strong { display: block; font-size: 1.5rem; }
ul.crates { list-style: none; padding: 0; margin: 0; }
ul.crates li { padding: .6rem 0; border-bottom: 1px solid var(--line); }
ul.crates .meta { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: 0 0 1rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td form { display: inline; margin: 0; }
.table-wrap { overflow-x: auto; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
pre { background: var(--panel); padding: .75rem 1rem; border-radius: 4px; overflow-x: auto; }
.secret { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.secret code { background: #fff8e1; border: 1px solid #e0c060; padding: .5rem .75rem; word-break: break-all; user-select: all; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; border: 1px solid var(--line); background: var(--panel); }
.badge.yanked, .badge.revoked, .badge.locked { border-color: var(--danger); color: var(--danger); background: #fff; }
.badge.active { border-color: var(--ok); color: var(--ok); background: #fff; }
aside pre { white-space: pre-wrap; overflow-wrap: anywhere; }
dl dt { font-weight: 600; }
dl dd { margin: 0 0 .5rem; }
.readme { overflow-wrap: anywhere; }
.readme img { max-width: 100%; }
.readme-plain { white-space: pre-wrap; }
.readme-note { font-style: italic; }
.pagination { display: flex; gap: 1rem; align-items: center; }
.sort { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.inline { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
.inline .field { margin: 0; }
.qr svg { width: 14rem; height: 14rem; display: block; }
ul.codes { columns: 2; list-style: none; padding: 0; }
`;

const JS = `'use strict';
// Progressive enhancement: the token stays selectable and readable without this script.
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    const target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(target);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = 'Selected: press Ctrl+C';
    }
  });
}
`;

export interface Asset {
  path: string;
  body: string;
  type: string;
}

export const digestOf = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

export const STYLESHEET: Asset = { path: `/static/wharf.${digestOf(CSS)}.css`, body: CSS, type: 'text/css; charset=utf-8' };
export const SCRIPT: Asset = { path: `/static/wharf.${digestOf(JS)}.js`, body: JS, type: 'text/javascript; charset=utf-8' };
export const ASSETS: readonly Asset[] = [STYLESHEET, SCRIPT];
