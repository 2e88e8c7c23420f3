import { createHmac, timingSafeEqual } from 'node:crypto';

/** The path prefix of proxied images: `/img/<signature>/<base64url of the URL>`. */
export const IMAGE_PROXY_PREFIX = '/img/';

/**
 * Stored READMEs carry their external images as `/img/unsigned/<base64url>`: the signature is
 * added when a README is served, so rotating the server's key never invalidates a stored README.
 */
export const UNSIGNED_IMAGE_PREFIX = '/img/unsigned/';

const SIGNATURE_BYTES = 18;

export const encodeImageUrl = (url: string): string => Buffer.from(url, 'utf8').toString('base64url');

/** The URL in `encoded`, or null when it is not base64url of a UTF-8 http(s) URL. */
export function decodeImageUrl(encoded: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,8192}$/.test(encoded)) return null;
  const url = Buffer.from(encoded, 'base64url').toString('utf8');
  if (encodeImageUrl(url) !== encoded || !URL.canParse(url)) return null;
  const { protocol } = new URL(url);
  return protocol === 'http:' || protocol === 'https:' ? url : null;
}

/**
 * Signs image URLs with an HMAC under a key of the server (server_secrets), so /img/ proxies
 * only what a README of this registry names and is no open proxy for anyone else's URLs.
 */
export class ImageSigner {
  constructor(private readonly key: Buffer) {}

  signature(encoded: string): string {
    return createHmac('sha256', this.key).update(`image-proxy\0${encoded}`).digest().subarray(0, SIGNATURE_BYTES).toString('base64url');
  }

  /** The proxied path of `url`. */
  path(url: string): string {
    const encoded = encodeImageUrl(url);
    return `${IMAGE_PROXY_PREFIX}${this.signature(encoded)}/${encoded}`;
  }

  /** The URL of a proxied path's parts, or null when the signature is not this server's. */
  verify(signature: string, encoded: string): string | null {
    const expected = Buffer.from(this.signature(encoded));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return decodeImageUrl(encoded);
  }

  /**
   * Stored README HTML with each unsigned image path signed; with `proxy` off, each is put back
   * to its original URL (which the page's CSP, img-src 'self', then keeps from loading).
   */
  signHtml(html: string, proxy: boolean): string {
    return html.replace(/(["'])\/img\/unsigned\/([A-Za-z0-9_-]+)\1/g, (whole, quote: string, encoded: string) => {
      const url = decodeImageUrl(encoded);
      if (url === null) return whole;
      return `${quote}${proxy ? `${IMAGE_PROXY_PREFIX}${this.signature(encoded)}/${encoded}` : url.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}${quote}`;
    });
  }
}
