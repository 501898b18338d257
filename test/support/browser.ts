// A small stand-in for a browser over fastify.inject: keeps cookies, follows
// nothing on its own, and fills in each form's CSRF token from the last page
// it loaded, the way a person's browser posts the form they were shown.
import type { FastifyInstance } from 'fastify';

export interface Page {
  status: number;
  location: string | undefined;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Applies Set-Cookie headers to a cookie jar, as a browser does (an expired or empty cookie is removed). */
export function keepCookies(jar: Map<string, string>, setCookies: readonly string[]): void {
  for (const c of setCookies) {
    const [pair, ...attrs] = c.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const expired = attrs.some((a) => /^\s*max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

export class TestBrowser {
  readonly cookies = new Map<string, string>();
  private lastBody = '';

  /** `remoteAddress`: the IP address the service sees (limits per address). */
  constructor(
    private readonly app: FastifyInstance,
    private readonly remoteAddress?: string,
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(headers: Record<string, unknown>): void {
    const raw = headers['set-cookie'];
    keepCookies(this.cookies, Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : []);
  }

  private toPage(res: { statusCode: number; headers: Record<string, unknown>; body: string }): Page {
    this.keep(res.headers);
    const location = res.headers.location as string | undefined;
    if (!location) this.lastBody = res.body;
    return { status: res.statusCode, location, body: res.body, headers: res.headers as Page['headers'] };
  }

  /** Path and query of a URL, for inject (which takes paths). */
  static path(url: string): string {
    if (url.startsWith('/')) return url;
    const u = new URL(url);
    return u.pathname + u.search;
  }

  async get(url: string): Promise<Page> {
    const res = await this.app.inject({
      method: 'GET',
      url: TestBrowser.path(url),
      headers: { cookie: this.cookieHeader() },
      ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {}),
    });
    return this.toPage(res);
  }

  /** Posts a form, adding the CSRF token of the last page loaded unless `_csrf` is given. */
  async post(url: string, fields: Record<string, string>): Promise<Page> {
    const csrf = /name="_csrf" value="([^"]*)"/.exec(this.lastBody)?.[1];
    const body = new URLSearchParams({ ...(csrf ? { _csrf: csrf } : {}), ...fields }).toString();
    const res = await this.app.inject({
      method: 'POST',
      url: TestBrowser.path(url),
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: body,
      ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {}),
    });
    return this.toPage(res);
  }

  /** GETs `url` and follows same-site redirects until a page (or a redirect away from `origin`). */
  async follow(url: string, origin = 'http://localhost:3000', max = 10): Promise<Page & { url: string }> {
    let current = url;
    for (let i = 0; i < max; i++) {
      const page = await this.get(current);
      if (!page.location) return { ...page, url: current };
      const next = new URL(page.location, origin);
      if (next.origin !== origin) return { ...page, url: next.href };
      current = next.pathname + next.search;
    }
    throw new Error('too many redirects');
  }
}
