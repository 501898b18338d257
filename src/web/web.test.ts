import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from './test-app.js';
import { createViews, errorList } from './views.js';
import { nhsukVersion } from './paths.js';

let app: FastifyInstance;

beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

function setCookies(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie'];
  if (raw === undefined) return [];
  return Array.isArray(raw) ? (raw as string[]) : [raw as string];
}

/** GET the form and return what a browser would post back: cookie header and token. */
async function getForm(): Promise<{ cookie: string; token: string; html: string }> {
  const res = await app.inject({ method: 'GET', url: '/form' });
  expect(res.statusCode).toBe(200);
  const csrfCookie = setCookies(res.headers).find((c) => c.startsWith('__Host-csrf='));
  expect(csrfCookie).toBeDefined();
  const cookie = (csrfCookie ?? '').split(';')[0] ?? '';
  const match = /name="_csrf" value="([^"]+)"/.exec(res.body);
  expect(match).not.toBeNull();
  return { cookie, token: match?.[1] ?? '', html: res.body };
}

describe('views', () => {
  it('builds the error summary list in order, with #field links and overrides', () => {
    expect(
      errorList(
        { email: 'Enter your email', dob: 'Enter your date of birth', x: undefined },
        { dob: '#dob-day' },
      ),
    ).toEqual([
      { text: 'Enter your email', href: '#email' },
      { text: 'Enter your date of birth', href: '#dob-day' },
    ]);
    expect(errorList(undefined)).toEqual([]);
  });

  it('imports nhsuk-frontend macros with the "nhsuk/" prefix and autoescapes', () => {
    const views = createViews();
    const html = views.renderString(
      '{% from "nhsuk/components/button/macro.njk" import button %}{{ button({ text: t }) }}',
      { t: '<b>Go</b>' },
    );
    expect(html).toContain('nhsuk-button');
    expect(html).toContain('&lt;b&gt;Go&lt;/b&gt;');
  });
});

describe('layout', () => {
  it('renders the page title, header, footer links, assets and back link, without inline script or style', async () => {
    const { html } = await getForm();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<title>Enter your email address - NHS login</title>');
    expect(html).toContain('nhsuk-header__service-name');
    expect(html).toContain('NHS login');
    expect(html).toContain('href="#maincontent"');
    expect(html).toContain('id="maincontent"');
    expect(html).toContain('href="/help/accessibility-statement"');
    expect(html).toContain('href="/help/privacy-notice"');
    expect(html).toContain('href="/help/terms-of-use"');
    expect(html).toContain(`/assets/nhsuk/nhsuk-frontend-${nhsukVersion}.min.css`);
    expect(html).toMatch(/<script src="\/assets\/app\/js-enabled\.js\?v=[0-9a-f]+"><\/script>/);
    expect(html).toMatch(/<script type="module" src="\/assets\/app\/init\.js\?v=/);
    expect(html).toContain('class="nhsuk-back-link" href="/start"');
    expect(html).not.toContain('nhsuk-error-summary');
    // Every <script> has a src; no style attributes or <style> elements.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toContain('<style');
  });

  it('shows the error summary with links to the fields and prefixes the title with "Error: "', async () => {
    const { cookie, token } = await getForm();
    const res = await app.inject({
      method: 'POST',
      url: '/form',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token, email: '', phone: '' }).toString(),
    });
    expect(res.statusCode).toBe(400);
    const html = res.body;
    expect(html).toContain('<title>Error: Enter your email address - NHS login</title>');
    expect(html).toContain('nhsuk-error-summary');
    expect(html).toContain('There is a problem');
    expect(html).toMatch(/<a href="#email">\s*Enter your email address\s*<\/a>/);
    expect(html).toMatch(/<a href="#phone">\s*Enter your mobile phone number\s*<\/a>/);
    // the inline error messages from the nhsuk input macro
    expect(html).toContain('nhsuk-error-message');
    expect(html.indexOf('href="#email"')).toBeLessThan(html.indexOf('href="#phone"'));
  });
});

describe('static assets', () => {
  it('serves the nhsuk-frontend CSS and JS with long caching', async () => {
    const css = await app.inject({
      method: 'GET',
      url: `/assets/nhsuk/nhsuk-frontend-${nhsukVersion}.min.css`,
    });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toContain('immutable');
    const js = await app.inject({
      method: 'GET',
      url: `/assets/nhsuk/nhsuk-frontend-${nhsukVersion}.min.js`,
    });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    const again = await app.inject({
      method: 'GET',
      url: `/assets/nhsuk/nhsuk-frontend-${nhsukVersion}.min.css`,
      headers: { 'if-none-match': String(css.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('serves images, the manifest, the icons the CSS asks for, and our own files', async () => {
    for (const url of [
      '/assets/nhsuk/images/favicon.ico',
      '/assets/nhsuk/images/nhsuk-icon-180.png',
      '/assets/nhsuk/manifest.json',
      '/assets/images/nhsuk-icon-cross.svg',
      '/assets/app/init.js',
      '/assets/app/js-enabled.js',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toMatch(/max-age=\d+/);
    }
  });

  it('does not serve the rest of node_modules', async () => {
    for (const url of [
      '/assets/nhsuk/index.mjs',
      '/assets/nhsuk/template.njk',
      '/assets/nhsuk/../package.json',
      '/assets/nhsuk/%2e%2e/package.json',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
    }
  });
});

describe('security headers', () => {
  it('sets a strict CSP and the other headers on pages, errors and assets', async () => {
    for (const url of ['/form', '/nowhere', `/assets/nhsuk/nhsuk-frontend-${nhsukVersion}.min.css`]) {
      const res = await app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).toContain("style-src 'self'");
      expect(csp, url).toContain("img-src 'self' data:");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("form-action 'self'");
      expect(csp, url).not.toContain('unsafe-inline');
      expect(csp, url).not.toContain('unsafe-eval');
      expect(csp, url).not.toContain('upgrade-insecure-requests');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
    }
  });

  it('marks pages no-store', async () => {
    const res = await app.inject({ method: 'GET', url: '/form' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('sets the CSRF cookie as a signed __Host- cookie', async () => {
    const res = await app.inject({ method: 'GET', url: '/form' });
    const cookie = setCookies(res.headers).find((c) => c.startsWith('__Host-csrf=')) ?? '';
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Domain');
  });
});

describe('CSRF', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  it('rejects a POST without a token with the "form has expired" page', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/form',
      headers: form,
      payload: 'email=a%40b.com&phone=07700900000',
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('This form has expired');
    expect(res.body).toContain('href="/form"');
    expect(res.body).not.toMatch(/FST_CSRF|csrf secret|csrf token/i);
  });

  it('rejects a POST whose token does not match the cookie', async () => {
    const { cookie } = await getForm();
    const other = await getForm();
    const res = await app.inject({
      method: 'POST',
      url: '/form',
      headers: { ...form, cookie },
      payload: new URLSearchParams({ _csrf: `${other.token}x`, email: 'a@b.com', phone: '1' }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
  });

  it('rejects a token with a cookie from another browser', async () => {
    const first = await getForm();
    const second = await getForm();
    const res = await app.inject({
      method: 'POST',
      url: '/form',
      headers: { ...form, cookie: second.cookie },
      payload: new URLSearchParams({ _csrf: first.token, email: 'a@b.com', phone: '1' }).toString(),
    });
    expect(res.statusCode).toBe(403);
  });

  it('accepts a POST carrying the cookie and token from the GET', async () => {
    const { cookie, token } = await getForm();
    const res = await app.inject({
      method: 'POST',
      url: '/form',
      headers: { ...form, cookie },
      payload: new URLSearchParams({ _csrf: token, email: 'a@b.com', phone: '07700900000' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/done');
  });

  it('answers a body over the form limit with the "too large" page', async () => {
    const { cookie, token } = await getForm();
    const res = await app.inject({
      method: 'POST',
      url: '/form',
      headers: { ...form, cookie },
      payload: new URLSearchParams({ _csrf: token, email: 'a'.repeat(20_000) }).toString(),
    });
    expect(res.statusCode).toBe(413);
    expect(res.body).toContain('What you sent was too large');
  });
});

describe('error pages', () => {
  it('answers an unknown path with the 404 page and no stack', async () => {
    const res = await app.inject({ method: 'GET', url: '/no/such/page' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<title>Page not found - NHS login</title>');
    expect(res.body).toContain('Page not found');
    expect(res.body).not.toMatch(/\bat .+\(.*:\d+:\d+\)/);
    expect(res.body).not.toContain('Error:');
  });

  it('answers a thrown error with the 500 page, without its message', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('Sorry, there is a problem with the service');
    expect(res.body).not.toContain('secret database password');
    expect(res.body).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('answers malformed bodies with the 400 page', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/form',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('There is a problem with your request');
  });

  it('answers JSON on /token, /userinfo and for JSON clients', async () => {
    const token = await app.inject({ method: 'POST', url: '/token' });
    expect(token.statusCode).toBe(500);
    expect(token.json()).toEqual({
      error: 'server_error',
      error_description: 'The server could not complete the request',
    });
    expect(token.body).not.toContain('exploded');

    const userinfo = await app.inject({ method: 'GET', url: '/userinfo' });
    expect(userinfo.statusCode).toBe(404);
    expect(userinfo.json()).toMatchObject({ error: 'invalid_request' });

    const api = await app.inject({ method: 'GET', url: '/nowhere', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: 'invalid_request' });

    const browser = await app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8' },
    });
    expect(browser.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('tells a person whose journey was lost what to do next', async () => {
    const res = await app.inject({ method: 'GET', url: '/lost' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<title>Your session has ended - NHS login</title>');
    expect(res.body).toContain('start again');
    expect(res.body).toContain('href="https://rp.example/start"');
  });
});

describe('allowFormActionTo', () => {
  it('widens form-action on this response only', async () => {
    const res = await app.inject({ method: 'GET', url: '/finish' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("form-action 'self' https://rp.example:8443 com.example.app:;");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    const other = await app.inject({ method: 'GET', url: '/form' });
    expect(String(other.headers['content-security-policy'])).toContain("form-action 'self';");
  });
});
