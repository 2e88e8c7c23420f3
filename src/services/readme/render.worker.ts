import { parentPort } from 'node:worker_threads';
import { renderReadme } from './render.js';

/**
 * The README render worker: one message in (`{ id, source }`), one out (`{ id, html }` or
 * `{ id, error }`). It runs in its own thread so that a README whose render takes seconds
 * stalls nothing but this thread, which the renderer terminates when the budget runs out.
 */
const port = parentPort;
if (!port) throw new Error('render.worker.ts runs only as a worker thread');

port.on('message', ({ id, source }: { id: number; source: string }) => {
  try {
    port.postMessage({ id, html: renderReadme(source) });
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ ready: true });
