import type { FastifyReply } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import type { Html } from './html.js';

/**
 * Headers on every page: scripts and styles only from files of this server (never inline),
 * no framing, no plugins, forms only to us, no <base> tricks, no sniffing, and referrers
 * that never carry a path to another site.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

export interface PageOptions {
  /** For pages that hold a secret or a personal view: never stored by the browser or a proxy. */
  noStore?: boolean;
  headers?: Record<string, string>;
}

export function sendPage(reply: FastifyReply, status: number, page: Html, options: PageOptions = {}): FastifyReply {
  return reply
    .code(status)
    .headers({ ...SECURITY_HEADERS, 'cache-control': options.noStore ? 'no-store' : 'no-cache', ...options.headers })
    .type('text/html; charset=utf-8')
    .send(page.value);
}

/** 303 after a form post, so reloading the next page does not post again. */
export function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).header('location', location).send();
}

/** Cookies: never readable by scripts, not sent on cross-site posts, Secure on an https registry. */
export function addCookie(ctx: ServiceContext, reply: FastifyReply, name: string, value: string, { maxAgeSeconds }: { maxAgeSeconds: number }): void {
  const secure = ctx.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  const cookie = `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list.filter((c) => !c.startsWith(`${name}=`)), cookie]);
}

export function clearCookie(ctx: ServiceContext, reply: FastifyReply, name: string): void {
  addCookie(ctx, reply, name, '', { maxAgeSeconds: 0 });
}
