import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ReadmeContext } from './readme-links.js';

/** What became of one render. */
export type RenderOutcome =
  | { kind: 'html'; html: string }
  /** The HTML came out longer than `maxHtml` characters (it never leaves the worker). */
  | { kind: 'too-large' }
  /** The render ran past its time budget; the worker was terminated. */
  | { kind: 'over-budget' }
  /** The render threw or ran the worker out of memory. */
  | { kind: 'failed'; reason: string }
  /** Nothing was tried (the renderer is closed, too busy or cannot start a worker): decide later. */
  | { kind: 'unavailable' };

export interface RendererOptions {
  /** Wall-clock time one README may take to render, from the moment the worker receives it. */
  budgetMs: number;
  /**
   * Renders waiting beyond this many are answered `unavailable` at once, so that nobody waits
   * for more than a few budgets: the page then shows the README as text without storing it, and
   * a later view renders it.
   */
  maxQueued: number;
  /** Time a new worker may take to load the renderer before it counts as unavailable. */
  startMs: number;
  /** The worker's heap: a README that needs more fails instead of growing the server. */
  heapMb: number;
  /** Rendered HTML beyond this many characters is refused (1 MiB of reference links renders to 10 MB). */
  maxHtml: number;
}

export const DEFAULT_RENDERER_OPTIONS: RendererOptions = { budgetMs: 2000, maxQueued: 4, startMs: 30_000, heapMb: 256, maxHtml: 2 * 1024 * 1024 };

interface Job {
  source: string;
  context: ReadmeContext | null;
  resolve: (outcome: RenderOutcome) => void;
}

const UNAVAILABLE: RenderOutcome = { kind: 'unavailable' };

/**
 * Renders READMEs in one worker thread, one at a time, never on the event loop. A render that
 * overruns its budget has its worker terminated (the next render starts a fresh one), so a
 * hostile README costs at most the budget of one thread and nothing of the server's requests.
 */
export class ReadmeRenderer {
  private worker: Worker | null = null;
  private ready: Promise<Worker> | null = null;
  private readonly queue: Job[] = [];
  private running = false;
  private closed = false;
  private nextId = 1;

  constructor(readonly options: RendererOptions = DEFAULT_RENDERER_OPTIONS) {}

  /**
   * Renders `source` (its relative links resolved against `context`), unless more than
   * `maxWaiting` renders already wait (or the queue is full).
   */
  render(source: string, maxWaiting = Infinity, context: ReadmeContext | null = null): Promise<RenderOutcome> {
    if (this.closed || this.queue.length > Math.min(maxWaiting, this.options.maxQueued - 1)) return Promise.resolve(UNAVAILABLE);
    return new Promise((resolve) => {
      this.queue.push({ source, context, resolve });
      void this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(UNAVAILABLE);
    const worker = this.worker;
    this.worker = null;
    this.ready = null;
    await worker?.terminate();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) job.resolve(this.closed ? UNAVAILABLE : await this.runOne(job.source, job.context));
    } finally {
      this.running = false;
    }
  }

  private async runOne(source: string, context: ReadmeContext | null): Promise<RenderOutcome> {
    let worker: Worker;
    try {
      worker = await this.started();
    } catch {
      return UNAVAILABLE;
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const finish = (outcome: RenderOutcome, discard: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (discard) this.discard(worker);
        resolve(outcome);
      };
      const onMessage = (m: { id?: number; html?: string; tooLarge?: boolean; error?: string }) => {
        if (m.id !== id) return;
        if (m.error !== undefined) finish({ kind: 'failed', reason: m.error }, false);
        else finish(m.tooLarge ? { kind: 'too-large' } : { kind: 'html', html: m.html ?? '' }, false);
      };
      const onError = (err: Error) => finish({ kind: 'failed', reason: err.message }, true);
      const onExit = () => finish(this.closed ? UNAVAILABLE : { kind: 'failed', reason: 'the render worker stopped' }, true);
      const timer = setTimeout(() => finish({ kind: 'over-budget' }, true), this.options.budgetMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, source, context, maxHtml: this.options.maxHtml });
    });
  }

  /** The worker, started (and its renderer loaded) on first use. */
  private started(): Promise<Worker> {
    if (this.ready) return this.ready;
    const worker = new Worker(workerUrl(), { resourceLimits: { maxOldGenerationSizeMb: this.options.heapMb } });
    worker.unref();
    // An idle worker that dies is simply replaced by the next render.
    worker.on('error', () => this.discard(worker));
    worker.on('exit', () => this.discard(worker));
    this.worker = worker;
    this.ready = new Promise<Worker>((resolve, reject) => {
      const settle = (err: Error | null) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        if (err) {
          this.discard(worker);
          reject(err);
        } else resolve(worker);
      };
      const onMessage = (m: { ready?: boolean }) => m.ready && settle(null);
      const onExit = () => settle(new Error('the render worker stopped while starting'));
      const timer = setTimeout(() => settle(new Error('the render worker did not start in time')), this.options.startMs);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
    this.ready.catch(() => undefined);
    return this.ready;
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) {
      this.worker = null;
      this.ready = null;
    }
    void worker.terminate();
  }
}

/**
 * The compiled worker beside this module; when this module runs from the TypeScript sources
 * (the test runner), the compiled worker of `npm run build` in dist/.
 */
function workerUrl(): URL {
  const here = new URL('./render.worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(here.href.replace('/src/services/readme/', '/dist/services/readme/'));
}
