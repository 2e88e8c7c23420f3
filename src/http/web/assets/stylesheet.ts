import { cssVariables, DARK, LIGHT } from './palette.js';

/**
 * The one stylesheet. Both colour schemes follow the browser's `prefers-color-scheme`. Nothing
 * may make a page wider than the screen from 320 px up: wide things (code, tables, long names)
 * scroll or wrap inside their own box.
 */
export const CSS = `
:root { ${cssVariables(LIGHT)} color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { ${cssVariables(DARK)} } }
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); -webkit-text-size-adjust: 100%; }
body { margin: 0; overflow-wrap: break-word; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--fg); color: var(--bg); padding: .5rem 1rem; }
.skip:focus { left: 0; }
header.site { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.site .brand { display: inline-flex; gap: .4rem; align-items: center; font-weight: 700; font-size: 1.2rem; text-decoration: none; color: var(--fg); }
header.site .brand img { width: 1.5rem; height: 1.5rem; }
header.site form.search { flex: 1 1 12rem; display: flex; gap: .5rem; min-width: 0; }
header.site nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header.site nav form { margin: 0; }
kbd { font: inherit; font-size: .8em; border: 1px solid var(--line); border-radius: 3px; padding: 0 .3em; }
main { max-width: 72rem; margin: 0 auto; padding: 1.25rem 1rem; }
footer.site { max-width: 72rem; margin: 2rem auto; padding: 1rem; color: var(--muted); border-top: 1px solid var(--line); font-size: .9rem; }
h1 { font-size: 1.8rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin: 1.5rem 0 .75rem; }
h3 { font-size: 1.1rem; }
input, select, textarea, button { font: inherit; }
input[type=text], input[type=search], input[type=password], input[type=email], input[type=number], input[type=date], select, textarea { padding: .4rem .5rem; border: 1px solid var(--field-line); border-radius: 4px; background: var(--bg); color: var(--fg); max-width: 100%; }
input[type=search] { flex: 1; min-width: 0; }
button { padding: .4rem .9rem; border: 1px solid var(--button-bg); border-radius: 4px; background: var(--button-bg); color: var(--button-fg); cursor: pointer; }
button.secondary { background: var(--bg); color: var(--accent); border-color: var(--accent); }
button.danger { background: var(--danger-bg); border-color: var(--danger-bg); color: var(--button-fg); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.field { margin: 0 0 1rem; min-width: 0; }
.field label, fieldset legend { display: block; font-weight: 600; margin-bottom: .25rem; }
.field .hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 1rem; padding: .75rem 1rem; min-width: 0; }
fieldset label { display: inline-flex; flex-wrap: wrap; gap: .35rem; align-items: center; margin-right: 1rem; font-weight: 400; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0 0 1.5rem; min-width: 0; }
.notice { border-left: 4px solid var(--ok); background: var(--notice-bg); padding: .75rem 1rem; margin: 0 0 1rem; }
.error { border-left: 4px solid var(--danger); background: var(--error-bg); padding: .75rem 1rem; margin: 0 0 1rem; }
.muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(18rem, 100%), 1fr)); gap: 1.5rem; }
.grid > * { min-width: 0; }
.crate-layout { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1.5rem; }
.crate-layout > * { min-width: 0; }
@media (min-width: 56rem) {
  .crate-layout { grid-template-columns: minmax(0, 1fr) 20rem; grid-template-areas: "main side"; gap: 2rem; }
  .crate-layout > .crate-main { grid-area: main; }
  .crate-layout > aside { grid-area: side; }
}
nav.sections { display: flex; flex-wrap: wrap; gap: .25rem 1rem; border-bottom: 1px solid var(--line); padding: .25rem 0; margin: 0 0 1rem; }
.totals { display: flex; gap: 2rem; flex-wrap: wrap; list-style: none; padding: 0; }
.totals strong { display: block; font-size: 1.5rem; }
ul.crates { list-style: none; padding: 0; margin: 0; }
ul.crates li { padding: .6rem 0; border-bottom: 1px solid var(--line); }
ul.crates .meta { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: 0 0 1rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td form { display: inline; margin: 0; }
tr.current td { background: var(--panel); font-weight: 600; }
.table-wrap { overflow-x: auto; max-width: 100%; }
pre, code, kbd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
pre { background: var(--panel); padding: .75rem 1rem; border-radius: 4px; overflow-x: auto; max-width: 100%; }
code { overflow-wrap: anywhere; }
pre code { overflow-wrap: normal; }
.copy-line { display: flex; align-items: stretch; gap: .5rem; margin: 0 0 1rem; }
.copy-line pre { flex: 1 1 auto; min-width: 0; margin: 0; white-space: pre; }
.copy-line button { flex: 0 0 auto; }
.secret { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.secret code { background: var(--secret-bg); border: 1px solid var(--secret-line); padding: .5rem .75rem; word-break: break-all; user-select: all; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; border: 1px solid var(--line); background: var(--panel); color: var(--fg); }
.badge.yanked, .badge.revoked, .badge.locked { border-color: var(--danger); color: var(--danger); background: var(--bg); }
.badge.active { border-color: var(--ok); color: var(--ok); background: var(--bg); }
dl dt { font-weight: 600; }
dl dd { margin: 0 0 .5rem; overflow-wrap: anywhere; }
dl.details { margin: 0; }
dl.details dt { display: inline; }
.readme { overflow-wrap: break-word; }
.readme pre { white-space: pre; }
.readme table { display: block; overflow-x: auto; width: max-content; max-width: 100%; }
.readme img, .readme video { max-width: 100%; height: auto; }
.readme-plain { white-space: pre-wrap; }
.readme-note { font-style: italic; }
.qr svg { width: 14rem; height: 14rem; display: block; }
ul.codes { columns: 2; list-style: none; padding: 0; }
.readme h3 { font-size: 1.4rem; } .readme h4 { font-size: 1.2rem; } .readme h5 { font-size: 1.05rem; } .readme h6 { font-size: 1rem; }
.readme .heading-anchor { color: var(--muted); text-decoration: none; font-weight: 400; opacity: .4; margin-left: .4rem; }
.readme .heading-anchor::before { content: "#"; }
.readme .heading-anchor:hover, .readme .heading-anchor:focus, .readme :is(h2, h3, h4, h5, h6):hover .heading-anchor { opacity: 1; }
.readme th, .readme td { border: 1px solid var(--line); padding: .3rem .6rem; }
.readme .task-list-item { list-style: none; } .readme .task-list-item input { margin: 0 .4rem 0 -1.3rem; }
.readme .markdown-alert { border-left: 4px solid var(--accent); padding: .25rem 1rem; margin: 0 0 1rem; }
.readme .markdown-alert-title { font-weight: 600; margin: .25rem 0; }
.readme .markdown-alert-tip { border-color: var(--ok); } .readme .markdown-alert-warning, .readme .markdown-alert-caution { border-color: var(--danger); } .readme .markdown-alert-important { border-color: var(--fg); }
.readme .footnotes { font-size: .9rem; color: var(--muted); }
.readme .hljs-keyword, .readme .hljs-section, .readme .hljs-built_in, .readme .hljs-meta { color: var(--accent); font-weight: 600; }
.readme .hljs-string, .readme .hljs-attr { color: var(--ok); } .readme .hljs-comment { color: var(--muted); font-style: italic; }
.readme .hljs-number, .readme .hljs-literal, .readme .hljs-title, .readme .hljs-type { color: var(--danger); }
.pagination { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
.sort { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.inline { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
.inline .field { margin: 0; }
.graph { width: 100%; height: auto; max-width: 40rem; display: block; }
.graph .axis { stroke: var(--line); stroke-width: 1; }
.graph text { fill: var(--muted); font-size: 11px; }
.graph polyline { fill: none; stroke-width: 2; }
${[0, 1, 2, 3, 4, 5].map((i) => `.graph .s${i} { stroke: var(--series-${i}); } .legend .s${i}::before { background: var(--series-${i}); }`).join('\n')}
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; font-size: .9rem; }
.legend li::before { content: ""; display: inline-block; width: .8rem; height: .8rem; margin-right: .35rem; vertical-align: middle; border-radius: 2px; }
.kv { list-style: none; margin: 0; padding: 0; }
.kv li { overflow-wrap: anywhere; }
.kv .k { color: var(--muted); }
`;
