import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';

/** Every API error leaves in the one envelope cargo prints: {"errors":[{"detail":"..."}]}. */
export function sendApiError(reply: FastifyReply, status: number, detail: string, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send({ errors: [{ detail }] });
}

export function apiErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof AppError) {
    // A 401 is the normal RFC 3139 handshake and a wrong token is not an attack: log quietly.
    request.log.debug({ status: err.status, code: err.code }, 'request refused');
    return sendApiError(reply, err.status, err.detail, { ...err.headers });
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendApiError(reply, status, err.message);
  }
  request.log.error({ err }, 'unexpected error');
  return sendApiError(reply, 500, `internal server error (request id ${request.id})`);
}
