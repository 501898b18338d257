// A tiny browser stand-in over real HTTP (Node's fetch): keeps cookies, never
// follows redirects on its own, and posts each form with the CSRF token of the
// last page it loaded, the way a person's browser posts the form it showed.
// One client is one browser: a fresh one has no provider session, so the next
// authorize asks the person to log in again.

export interface Response {
  status: number;
  location: string | undefined;
  body: string;
  /** Milliseconds from sending the request to having the whole body. */
  ms: number;
}

/** A plain request (no cookies): what a supplier's back end sends. */
export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const started = performance.now();
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    redirect: 'manual',
  });
  const text = await res.text();
  return {
    status: res.status,
    location: res.headers.get('location') ?? undefined,
    body: text,
    ms: performance.now() - started,
  };
}

export class BrowserClient {
  readonly cookies = new Map<string, string>();
  private lastBody = '';

  /** `origin` is where this service listens; redirects elsewhere (the supplier) are not followed. */
  constructor(private readonly origin: string) {}

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const started = performance.now();
    const res = await fetch(new URL(url, this.origin), { ...init, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const body = await res.text();
    const location = res.headers.get('location') ?? undefined;
    if (!location) this.lastBody = body;
    return { status: res.status, location, body, ms: performance.now() - started };
  }

  get(url: string): Promise<Response> {
    return this.send(url, { headers: this.cookieHeader() });
  }

  /** Posts a form, adding the CSRF token of the last page loaded. */
  post(url: string, fields: Record<string, string>): Promise<Response> {
    const csrf = /name="_csrf" value="([^"]*)"/.exec(this.lastBody)?.[1];
    return this.send(url, {
      method: 'POST',
      headers: { ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...(csrf ? { _csrf: csrf } : {}), ...fields }).toString(),
    });
  }

  /**
   * GETs `url` and follows redirects within this service until a page, or a
   * redirect away from it (the supplier's callback), whose URL it returns.
   */
  async follow(url: string, max = 10): Promise<Response & { url: string }> {
    let current = new URL(url, this.origin).href;
    for (let i = 0; i < max; i++) {
      const page = await this.get(current);
      if (!page.location) return { ...page, url: current };
      const next = new URL(page.location, current);
      if (next.origin !== new URL(this.origin).origin) return { ...page, url: next.href };
      current = next.href;
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
