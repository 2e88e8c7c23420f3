import { AppError } from '../../core/errors.js';
import { ByteLru } from '../byte-lru.js';
import type { ServiceContext } from '../context.js';
import { serverKey } from '../server-secret.service.js';
import { type FetchedImage, ImageClient, type ImageClientOptions } from './image-client.js';
import { ImageSigner } from './image-signer.js';

/** Proxied images kept in memory, by their bytes. */
export const IMAGE_CACHE_BYTES = 32 * 1024 * 1024;
/** Different images fetched at once; beyond it a request is answered 503 (each fetch holds up to image_proxy_max_bytes). */
export const MAX_IMAGE_FETCHES = 32;

/**
 * Wharf's own image proxy for README images (the page's CSP allows images from the server
 * only): signed paths (`ImageSigner`), fetched by `ImageClient`, kept in a cache bounded by
 * bytes, and concurrent requests for one image share one fetch. Failures are not cached: the
 * next view asks again.
 */
export class ImageProxy {
  private readonly cache = new ByteLru<string, FetchedImage>(IMAGE_CACHE_BYTES, (i) => i.body.length + i.contentType.length * 2);
  private readonly fetching = new Map<string, Promise<FetchedImage>>();
  private readonly client: ImageClient;
  private readonly key: () => Promise<Buffer>;
  private signer: Promise<ImageSigner> | null = null;

  constructor(
    ctx: ServiceContext,
    /** False: READMEs keep their external images unproxied and /img/ answers 404. */
    readonly enabled: boolean,
    options: ImageClientOptions,
  ) {
    this.client = new ImageClient(options);
    this.key = serverKey(ctx, 'image-proxy');
  }

  /** The signer, under the key shared by every instance (read once per process). */
  async signerOf(): Promise<ImageSigner> {
    this.signer ??= this.key().then(
      (key) => new ImageSigner(key),
      (err: unknown) => {
        this.signer = null;
        throw err;
      },
    );
    return this.signer;
  }

  /** Stored README HTML made ready to serve: its image paths signed (or put back when the proxy is off). */
  async prepareHtml(html: string): Promise<string> {
    if (!html.includes('/img/unsigned/')) return html;
    return (await this.signerOf()).signHtml(html, this.enabled);
  }

  /** The image at `url` (whose signature the caller verified). */
  image(url: string): Promise<FetchedImage> {
    const cached = this.cache.get(url);
    if (cached) return Promise.resolve(cached);
    let pending = this.fetching.get(url);
    if (!pending) {
      if (this.fetching.size >= MAX_IMAGE_FETCHES) {
        return Promise.reject(new AppError('unavailable', `the image proxy is already fetching ${MAX_IMAGE_FETCHES} images; try again shortly`, { 'retry-after': '5' }));
      }
      pending = this.client
        .fetch(url)
        .then((image) => {
          this.cache.set(url, image);
          return image;
        })
        .finally(() => this.fetching.delete(url));
      this.fetching.set(url, pending);
    }
    return pending;
  }

  /** Different images being fetched now. */
  get fetchesInFlight(): number {
    return this.fetching.size;
  }

  close(): void {
    this.client.close();
  }
}
