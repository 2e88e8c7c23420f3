export interface StaticNginxOptions {
  /** The folder nginx serves: Wharf's static_index_dir. */
  root: string;
  port: number;
  /** The folder of nginx's pid, logs, temporary files and auth cache (with an `auth-cache` folder in it). */
  workDir: string;
  /** On a private registry, Wharf's base URL: every request is checked with auth_request to its /api/v1/static-auth. */
  authUpstream?: string | null;
  /** Seconds a yes from Wharf is reused (nginx's proxy_cache keyed on the Authorization header); default 5, as the README's configuration; 0: no cache, every request asks Wharf. */
  authCacheSeconds?: number;
  /** keepalive_requests; default: nginx's own (1000). */
  keepaliveRequests?: number;
  /** worker_connections; default 512. */
  workerConnections?: number;
}

export function staticNginxConfig(o: StaticNginxOptions): string;
