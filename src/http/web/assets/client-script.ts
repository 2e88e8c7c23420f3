/**
 * The one script, served from this server (the CSP allows no other). Everything works without
 * it: it adds copy buttons to lines marked `data-copy` targets, and the `s` and `/` shortcuts
 * that focus the search box.
 */
export const JS = `'use strict';
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  const label = button.textContent;
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
    setTimeout(() => { button.textContent = label; }, 4000);
  });
}
document.addEventListener('keydown', (event) => {
  if (event.key !== 's' && event.key !== '/') return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
  const search = document.querySelector('input[type=search]');
  if (!search) return;
  event.preventDefault();
  search.focus();
  search.select();
});
`;
