import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { badRequest } from '../core/errors.js';
import { findUnstorable, unstorableProblem } from '../core/storable-text.js';

/** A NUL in the path, raw or %-encoded (encoded surrogates are invalid UTF-8, which decoding refuses). */
const NUL_IN_PATH = /%00|\u0000/;

/**
 * A root `onRequest` hook: the URL's path and decoded query values must be text the database can
 * store (`core/storable-text.ts`), whatever the route does with them. Bodies are checked by their
 * parsers (`storableJson`, and the web's form parser), publish metadata where it is parsed.
 */
export function refuseUnstorableUrl(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const url = request.url;
  const queryAt = url.indexOf('?');
  if (NUL_IN_PATH.test(queryAt === -1 ? url : url.slice(0, queryAt))) {
    return done(badRequest('the URL path contains a NUL character (U+0000), which cannot be stored'));
  }
  if (queryAt === -1) return done();
  for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
    if (unstorableProblem(key)) return done(badRequest(`a query parameter name ${unstorableProblem(key)}`));
    for (const one of Array.isArray(value) ? value : [value]) {
      const problem = typeof one === 'string' ? unstorableProblem(one) : null;
      if (problem) return done(badRequest(`the query parameter \`${key}\` ${problem}`));
    }
  }
  done();
}

/** A parsed JSON request body, refused (400, naming the field) when any text in it cannot be stored. */
export function storableJson(parsed: unknown): unknown {
  const problem = findUnstorable(parsed);
  if (problem) throw badRequest(`the request body: ${problem}`);
  return parsed;
}
