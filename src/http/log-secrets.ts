import type { DestinationStream } from 'pino';
import { TOKEN_PATTERN } from '../core/token.js';
import type { FlushableDestination } from './log-destination.js';

/**
 * Secrets are masked in the finished log line, whatever field carries them: a token pasted into
 * the login box, a session cookie in a URL, a token in an error's message or stack. Field-name
 * redaction (`authorization`, `cookie`, `x-csrf-token`) cannot know every field a future line
 * adds; the shape of the value can be recognised wherever it is.
 *
 * - A Wharf token: `wharf_` and 38 base62 characters, checksum right or not (a mistyped token is
 *   still nearly all secret).
 * - A session cookie (and a CSRF token, which is derived from one): 32 random bytes in base64url,
 *   a run of exactly 43 such characters. Random ones mix upper and lower case (all but one in
 *   ~10^9), which keeps long lowercase names, hex digests and paths out of the mask.
 * - A JWT (a CI token brought to trusted publishing): base64url JSON header, payload and
 *   signature joined by dots; its header is long enough to trip the run check below.
 */
const TOKEN_SHAPE = new RegExp(TOKEN_PATTERN.source, 'g');
const SESSION_RUN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
export const MASK = '[masked]';

/**
 * Whether `line` holds a run of 43 or more base64url characters (every secret shape above is one).
 * A plain loop: the equivalent regular expression cost 8 µs on an access line, this ~0.3 µs, and
 * the fast paths write one such line per request.
 */
function hasLongRun(line: string): boolean {
  let run = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45) {
      if (++run === 43) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

export function maskSecrets(line: string): string {
  if (!hasLongRun(line)) return line;
  return line
    .replace(JWT_SHAPE, MASK)
    .replace(TOKEN_SHAPE, MASK)
    .replace(SESSION_RUN, (run) => (/[A-Z]/.test(run) && /[a-z]/.test(run) ? MASK : run));
}

/** A log destination that masks secrets in every line before handing it on. */
export class SecretMaskingDestination implements DestinationStream {
  constructor(private readonly target: FlushableDestination) {}

  write(line: string): void {
    this.target.write(maskSecrets(line));
  }

  /**
   * For a writer that masked the only parts of its line a client chose (the fast paths' access
   * lines mask their URL): scanning the whole line again would double what masking costs there.
   */
  writeMasked(line: string): void {
    this.target.write(line);
  }

  flushSync(): void {
    this.target.flushSync?.();
  }
}
