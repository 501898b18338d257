// A whole supplier sign-in over HTTP (no real browser): authorize, log in
// with password and text code from the outbox, come back with a code.
import { latestCode } from '../../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import type { TestService } from './service.js';
import type { Page, TestBrowser } from './browser.js';
import { authorizeUrl, type TestSupplier } from './supplier.js';

export interface Callback {
  url: URL;
  code: string | null;
  state: string;
  nonce: string;
}

/** Runs authorize → sign-in → text code and returns the page the person reaches after their credentials. */
export async function signInAtSupplier(
  service: TestService,
  browser: TestBrowser,
  supplier: TestSupplier,
  person: { email: string; phone: string; password?: string },
  params: Record<string, string | undefined> = {},
): Promise<{ page: Page & { url: string }; state: string; nonce: string }> {
  const { url, state, nonce } = authorizeUrl(supplier, params);
  let page = await browser.follow(url);
  if (page.url.endsWith('/sign-in')) {
    const posted = await browser.post('/sign-in', {
      email: person.email,
      password: person.password ?? TEST_PASSWORD,
    });
    if (!posted.location) throw new Error(`sign-in failed: ${posted.status} ${posted.body.slice(0, 300)}`);
    page = await browser.follow(posted.location);
  }
  if (page.url.endsWith('/sign-in/text-code')) {
    const code = await latestCode(service.database.db, person.phone);
    const posted = await browser.post('/sign-in/text-code', { code: code ?? '' });
    if (!posted.location) throw new Error(`code failed: ${posted.status} ${posted.body.slice(0, 300)}`);
    page = await browser.follow(posted.location);
  }
  return { page, state, nonce };
}

/**
 * Runs authorize → sign-in → text code (→ "whose care are you managing
 * today?", answered with `actingFor`, by default the person's own) and
 * returns the supplier callback.
 */
export async function signInThroughSupplier(
  service: TestService,
  browser: TestBrowser,
  supplier: TestSupplier,
  person: { email: string; phone: string; password?: string },
  params: Record<string, string | undefined> = {},
  options: { actingFor?: string } = {},
): Promise<Callback> {
  const signedIn = await signInAtSupplier(service, browser, supplier, person, params);
  let page = signedIn.page;
  if (page.url.endsWith('/sign-in/acting-for')) {
    const posted = await browser.post('/sign-in/acting-for', { acting_for: options.actingFor ?? 'self' });
    if (!posted.location) throw new Error(`chooser failed: ${posted.status} ${posted.body.slice(0, 300)}`);
    page = await browser.follow(posted.location);
  }
  return callbackFrom(page, supplier, signedIn);
}

/** The supplier callback the person was sent back with (throws, showing the page, if they were not). */
export function callbackFrom(
  page: Page & { url: string },
  supplier: TestSupplier,
  request: { state: string; nonce: string },
): Callback {
  if (!page.url.startsWith(supplier.redirectUri)) {
    throw new Error(
      `did not return to the supplier: ${page.url} ${page.status} ${page.body
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 800)}`,
    );
  }
  const final = new URL(page.url);
  return { url: final, code: final.searchParams.get('code'), state: request.state, nonce: request.nonce };
}
