/**
 * Turns "the machine cannot write" errors (disk full, read-only data directory, I/O errors, a busy
 * SQLite file) into answers a client can act on, instead of a bare 500. Pure: it only reads the
 * error's code.
 */
import { AppError, withLogDetail } from './errors.js';

const FILE_CAUSES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the data directory is on a read-only file system',
  EACCES: 'the data directory is not writable',
  EPERM: 'the data directory is not writable',
  EIO: 'the disk reported an I/O error',
  EMFILE: 'the server has too many open files',
  ENFILE: 'the system has too many open files',
};

// SQLite (better-sqlite3 codes) and PostgreSQL (SQLSTATE) conditions that mean the same.
const DATABASE_CAUSES: Array<[RegExp, string]> = [
  [/^SQLITE_FULL/, 'the database disk is full'],
  [/^SQLITE_READONLY/, 'the database is read-only'],
  [/^SQLITE_IOERR/, 'the database disk reported an I/O error'],
  [/^SQLITE_CANTOPEN/, 'the database file cannot be opened'],
  [/^53100$/, 'the database disk is full'],
  [/^25006$/, 'the database is read-only'],
  [/^58030$/, 'the database disk reported an I/O error'],
];

const BUSY = /^(SQLITE_BUSY|SQLITE_LOCKED)/;

/**
 * A 507 (nothing could be stored) or a 503 with Retry-After (the database is busy) for errors
 * that are the machine's condition rather than the request's; null for any other error.
 */
export function storageFailure(err: unknown): AppError | null {
  const code = errorCode(err);
  if (code === null) return null;
  if (BUSY.test(code)) {
    return withCause(new AppError('unavailable', 'the registry database is busy; nothing was changed, try again in a few seconds', { 'retry-after': '2' }), err);
  }
  const cause = FILE_CAUSES[code] ?? DATABASE_CAUSES.find(([pattern]) => pattern.test(code))?.[1];
  if (cause === undefined) return null;
  return withCause(
    new AppError(
      'insufficient_storage',
      `the registry cannot store files right now: ${cause} (${code}); nothing was changed. Try again later, or tell the registry's administrator`,
    ),
    err,
  );
}

/** Keeps the original error for the server log. */
function withCause(appError: AppError, cause: unknown): AppError {
  Object.defineProperty(appError, 'cause', { value: cause, enumerable: false });
  return appError;
}

function errorCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : null;
}

/** Network conditions that mean the object store could not be reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const REFUSED_CREDENTIALS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

/** What a client is told of the object store's failure: what went wrong in general terms. */
const STORE = "the registry's object storage";

/**
 * The answer for an object store (S3 and compatible services) that failed a request: 504 when it
 * did not answer in time, 503 with Retry-After when it could not be reached or said it is
 * overloaded, 502 for any other refusal (a missing bucket, refused credentials). The client's
 * detail says only that in general terms: on an open registry it goes to anyone, and the bucket,
 * its folder, the service's internal address and the key are the administrator's business. They
 * are in the error's `logDetail` (the log line of the failed request, and the output of `wharf
 * check`, `wharf storage copy` and `wharf serve`'s start), with `where` naming the bucket and
 * service so an administrator knows what to fix. Pure: it reads the AWS SDK's error fields
 * (`name`, `code`, `$metadata.httpStatusCode`), never its request.
 */
export function objectStoreFailure(err: unknown, where: string, operation: string): AppError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : null;
  const said = typeof e.message === 'string' && e.message !== '' ? e.message.split('\n')[0]!.slice(0, 200) : name || code || 'no detail';
  const prefix = `the object store (${where}) failed to ${operation}`;
  const refused = new AppError('bad_gateway', `${STORE} refused the registry's request; tell the registry's administrator`);
  let appError: AppError;
  let full: string;
  if (TIMEOUTS.has(name) || TIMEOUTS.has(code)) {
    appError = new AppError('gateway_timeout', `${STORE} did not answer in time; try again`);
    full = `${prefix}: it did not answer in time (${said}); nothing was changed, try again`;
  } else if (UNREACHABLE.has(code) || UNREACHABLE.has(name)) {
    appError = new AppError('unavailable', `${STORE} cannot be reached; try again later, or tell the registry's administrator`, { 'retry-after': '5' });
    full = `${prefix}: it cannot be reached (${code || name}); try again later, or tell the registry's administrator`;
  } else if (name === 'CredentialsProviderError') {
    appError = refused;
    full = `${prefix}: the registry has no credentials for it; the registry's administrator must set s3_access_key_id and s3_secret_access_key, or provide them through the AWS SDK's standard chain (environment, ~/.aws files, instance role)`;
  } else if (name === 'NoSuchBucket') {
    appError = refused;
    full = `${prefix}: the bucket does not exist; the registry's administrator must create it or fix s3_bucket`;
  } else if (REFUSED_CREDENTIALS.has(name) || status === 403) {
    appError = refused;
    full = `${prefix}: it refused the registry's credentials or permissions (${name || status}); the registry's administrator must fix them`;
  } else if (status !== null && status >= 500) {
    appError = new AppError('unavailable', `${STORE} is failing; try again later`, { 'retry-after': '5' });
    full = `${prefix}: it answered ${status} (${name || said}); try again later`;
  } else {
    appError = refused;
    full = `${prefix}: ${said}${status !== null ? ` (HTTP ${status})` : ''}`;
  }
  return withCause(withLogDetail(appError, full), err);
}
