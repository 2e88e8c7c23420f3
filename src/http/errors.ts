import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import { storageFailure } from '../core/storage-failure.js';

/** Every API error leaves in the one envelope cargo prints: {"errors":[{"detail":"..."}]}. */
export function sendApiError(reply: FastifyReply, status: number, detail: string, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send({ errors: [{ detail }] });
}

export function apiErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof AppError) {
    // A refused credential says why (never with the secret); other refusals are the client's
    // business (a 404, a bad version) and stay at debug.
    // The error's message is its full account (`logDetail`) when the detail sent is a general one.
    if (err.status >= 500) request.log.error({ err, cause: err.cause }, 'request failed');
    else if (err.logDetail) request.log.warn({ err, status: err.status }, 'request refused');
    else if (err.refusedAs) request.log.info({ status: err.status, refusal: err.refusedAs }, 'credential refused');
    else request.log.debug({ status: err.status, code: err.code }, 'request refused');
    return sendApiError(reply, err.status, err.detail, { ...err.headers });
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendApiError(reply, status, err.message);
  }
  // Writes (yank, owners, tokens) on a full disk or a busy database: a clear 507/503, logged as such.
  const storage = request.method === 'GET' || request.method === 'HEAD' ? null : storageFailure(err);
  if (storage) {
    request.log.error({ err, status: storage.status }, 'storage failure');
    return sendApiError(reply, storage.status, storage.detail, { ...storage.headers });
  }
  request.log.error({ err }, 'unexpected error');
  return sendApiError(reply, 500, `internal server error (request id ${request.id})`);
}
