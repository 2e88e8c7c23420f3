import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Config } from '../../src/config/config.js';
import { createAccount } from '../../src/services/account.service.js';
import { setPasswordHashCost } from '../../src/services/password.service.js';
import { createTestApp, type TestApp } from './test-app.js';
import { attr, elements, parseHtml } from './html-dom.js';

/** A cheap scrypt cost, so the web tests can sign in hundreds of times; one test checks the real default. */
export const FAST_SCRYPT = { ln: 10, r: 8, p: 1 } as const;

export const PASSWORD = 'correct horse battery staple';

export interface WebTestApp extends TestApp {
  /** Creates an account with a password (PASSWORD unless given). */
  account(login: string, options?: { admin?: boolean; password?: string }): Promise<{ id: number; login: string }>;
  /** A browser at `address`; `headers` go with every request (what a proxy in front adds). */
  browser(address?: string, headers?: Record<string, string>): Browser;
}

export async function createWebApp(overrides: Partial<Config> = {}): Promise<WebTestApp> {
  setPasswordHashCost(FAST_SCRYPT);
  const t = await createTestApp(overrides);
  return Object.assign(t, {
    async account(login: string, options: { admin?: boolean; password?: string } = {}) {
      const user = await createAccount(t.runtime.ctx, { login, isAdmin: options.admin ?? false, password: options.password ?? PASSWORD }, { actor: null, via: 'test' });
      return { id: user.id, login: user.login };
    },
    browser(address = '127.0.0.1', headers: Record<string, string> = {}) {
      return new Browser(t.app, address, headers);
    },
  });
}

/** The value of the first hidden `_csrf` field of a page. */
export function csrfOf(html: string): string {
  const input = elements(parseHtml(html)).find((e) => e.name === 'input' && attr(e, 'name') === '_csrf');
  if (!input) throw new Error('the page has no CSRF field');
  return attr(input, 'value') ?? '';
}

export function fieldOf(html: string, name: string): string {
  const input = elements(parseHtml(html)).find((e) => e.name === 'input' && attr(e, 'name') === name);
  if (!input) throw new Error(`the page has no field ${name}`);
  return attr(input, 'value') ?? '';
}

type Form = Record<string, string | readonly string[]>;

export function encodeForm(form: Form): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const one of typeof v === 'string' ? [v] : v) params.append(k, one);
  return params.toString();
}

/** A cookie jar over inject(): enough of a browser to sign in, post forms and follow what a user sees. */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, raw, for flag checks. */
  readonly setCookies: string[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly address: string,
    /** Sent with every request, as a proxy in front would add them (X-Forwarded-For). */
    private readonly always: Record<string, string> = {},
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    // What a browser sends on a navigation.
    return { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', ...this.always, ...(cookie ? { cookie } : {}), ...extra };
  }

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    const raw = res.headers['set-cookie'];
    for (const line of raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)]) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, headers: this.headers(), remoteAddress: this.address }));
  }

  async post(url: string, form: Form): Promise<LightMyRequestResponse> {
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
        payload: encodeForm(form),
        remoteAddress: this.address,
      }),
    );
  }

  /** Posts a form with the CSRF token of the page at `from`, as a user clicking its button would. */
  async submit(from: string, action: string, form: Form = {}): Promise<LightMyRequestResponse> {
    const page = await this.get(from);
    return this.post(action, { _csrf: csrfOf(page.body), ...form });
  }

  async login(login: string, password = PASSWORD): Promise<LightMyRequestResponse> {
    const page = await this.get('/login');
    return this.post('/login', { _csrf: csrfOf(page.body), login, password, next: '/me' });
  }

  /** The session cookie's value, under its plain name or, on an https registry, its `__Host-` one. */
  get session(): string | undefined {
    return this.cookies.get('wharf_session') ?? this.cookies.get('__Host-wharf_session');
  }
}
