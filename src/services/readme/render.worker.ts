import { parentPort } from 'node:worker_threads';
import type { ReadmeContext } from './readme-links.js';
import { renderReadme } from './render.js';

/**
 * The README render worker: one message in (`{ id, source, context, maxHtml }`), one out (`{ id, html }`,
 * `{ id, tooLarge: true }` or `{ id, error }`). It runs in its own thread so that a README whose
 * render takes seconds stalls nothing but this thread, which the renderer terminates when the
 * budget runs out. Oversized HTML stays here: copying it to the server's thread would cost that
 * thread time in proportion to it.
 */
const port = parentPort;
if (!port) throw new Error('render.worker.ts runs only as a worker thread');

port.on('message', ({ id, source, context, maxHtml }: { id: number; source: string; context: ReadmeContext | null; maxHtml: number }) => {
  try {
    const html = renderReadme(source, context);
    port.postMessage(html.length > maxHtml ? { id, tooLarge: true } : { id, html });
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ ready: true });
