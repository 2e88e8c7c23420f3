/**
 * The one error type that services and core checks throw. The HTTP layer renders it as
 * `{"errors":[{"detail":...}]}` for the API and as a page for the web UI.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'too_large'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'bad_gateway'
  | 'gateway_timeout'
  | 'insufficient_storage';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  bad_gateway: 502,
  gateway_timeout: 504,
  insufficient_storage: 507,
};

export class AppError extends Error {
  readonly status: number;
  /**
   * Why a credential was refused, as one word for the log (`missing`, `malformed`, `unknown`,
   * `revoked`, `expired`, `locked`, `out_of_scope`); never part of what the client sees.
   */
  refusedAs?: string;
  /**
   * The full account of a failure whose `detail` is kept general for clients (it would name an
   * internal address, a bucket, a key): for the server's log and an operator's command line, never
   * for an answer. Set with `withLogDetail`, which makes it the error's message too.
   */
  logDetail?: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = STATUS[code];
  }
}

/** Marks `err` as the refusal of a credential, for the log line that says why. */
export function refusedAs<T extends AppError>(reason: string, err: T): T {
  err.refusedAs = reason;
  return err;
}

/** Gives `err` a fuller account than its client-facing detail, for the log and the CLI (see `logDetail`). */
export function withLogDetail<T extends AppError>(err: T, logDetail: string): T {
  err.logDetail = logDetail;
  err.message = logDetail;
  return err;
}

/** What an operator is told of an error: the full account when there is one. */
export const operatorDetail = (err: AppError): string => err.logDetail ?? err.detail;

export const badRequest = (detail: string): AppError => new AppError('bad_request', detail);
export const unauthorized = (detail: string, headers?: Record<string, string>): AppError =>
  new AppError('unauthorized', detail, headers);
export const forbidden = (detail: string): AppError => new AppError('forbidden', detail);
export const notFound = (detail: string): AppError => new AppError('not_found', detail);
export const conflict = (detail: string): AppError => new AppError('conflict', detail);
export const gone = (detail: string): AppError => new AppError('gone', detail);
export const tooLarge = (detail: string): AppError => new AppError('too_large', detail);
/** Understood but refused by a rule about the thing itself (crates.io answers a refused deletion so). */
export const unprocessable = (detail: string): AppError => new AppError('unprocessable', detail);
export const crateNotFound = (name: string): AppError => notFound(`crate \`${name}\` does not exist`);
export const versionNotFound = (name: string, version: string): AppError =>
  notFound(`crate \`${name}\` has no version \`${version}\``);
