import { AppError } from '../core/errors.js';

export const rateLimited = (detail: string, retryAfterSeconds: number): AppError =>
  new AppError('rate_limited', detail, { 'retry-after': String(retryAfterSeconds) });

/** "N seconds" or "N minutes", for the details of 429 answers. */
export function waitText(seconds: number): string {
  return seconds < 60 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${Math.ceil(seconds / 60)} minutes`;
}
