import { createHash } from 'node:crypto';
import { JS } from './assets/client-script.js';
import { FAVICON_SVG } from './assets/favicon.js';
import { CSS } from './assets/stylesheet.js';

/**
 * The stylesheet, the one script and the icon, compiled into the program (no file reads, nothing
 * from another origin). Their URLs carry a hash of their content, so they can be cached forever.
 */
export interface Asset {
  path: string;
  body: string;
  type: string;
}

export const digestOf = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

export const STYLESHEET: Asset = { path: `/static/wharf.${digestOf(CSS)}.css`, body: CSS, type: 'text/css; charset=utf-8' };
export const SCRIPT: Asset = { path: `/static/wharf.${digestOf(JS)}.js`, body: JS, type: 'text/javascript; charset=utf-8' };
export const FAVICON: Asset = { path: `/static/wharf.${digestOf(FAVICON_SVG)}.svg`, body: FAVICON_SVG, type: 'image/svg+xml' };
export const ASSETS: readonly Asset[] = [STYLESHEET, SCRIPT, FAVICON];
