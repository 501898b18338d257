// Security headers, cookies, form bodies and CSRF protection for the whole app.
//
// CSP: no inline scripts or styles anywhere (no 'unsafe-inline', no nonces);
// pages load /assets/... only. nhsuk-frontend's CSS asks for the Frutiger
// web font from https://assets.nhs.uk; font-src 'self' blocks it and the CSS
// falls back to Arial (we make no requests outside our origin).
//
// form-action: 'self'. Browsers (Chromium, Firefox, Safari) apply form-action
// to every redirect that follows a form POST, not just to the form's action.
// A form whose POST ends an OIDC interaction (the provider then redirects to
// the supplier's redirect_uri) is therefore blocked unless the page that
// carries the form allows the supplier's origin: those pages call
// `allowFormActionTo(reply, [redirectUri])` while rendering. We keep 'self'
// everywhere else rather than omit the directive (omitting it would let any
// injected form post anywhere).
//
// Note for the provider mount: helmet's headers apply to every route,
// including oidc-provider's own HTML (form_post responses carry an inline
// auto-submit script and post cross-origin). Give those routes their own
// policy (route option `helmet: {...}`, or `reply.helmet(...)`).
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import helmet, { type HelmetOptions } from 'helmet';

export interface SecurityOptions {
  production: boolean;
  /** Signs cookies (the CSRF secret cookie among them); at least 32 characters. */
  cookieSecret: string;
}

/** Largest urlencoded form body accepted (413 beyond it). */
export const FORM_BODY_LIMIT = 16 * 1024;

/**
 * The CSRF secret cookie. `__Host-` means Secure, Path=/ and no Domain. Secure
 * cookies are accepted over http://localhost by Chromium and Firefox, which
 * is how development works; plain http on another host will drop it.
 */
export const CSRF_COOKIE = '__Host-csrf';

export type CspDirectives = Record<string, string[]>;

export function cspDirectives(production: boolean, formAction: string[] = []): CspDirectives {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'", ...formAction],
    'frame-ancestors': ["'none'"],
    // In development (http://localhost) upgrading would break every asset.
    ...(production ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

/** The security headers of every answer: CSP, framing, sniffing, referrer, cross-origin and (in production) HSTS. */
function helmetOptions(production: boolean): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(production) },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: production
      ? { maxAge: 63072000, includeSubDomains: true, preload: false }
      : false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  };
}

/**
 * Sets those same headers on an answer Fastify sends before any hook runs
 * (frameworkErrors in app.ts), where the helmet plugin's hook never ran.
 */
export function securityHeadersSetter(
  production: boolean,
): (request: FastifyRequest, reply: FastifyReply) => void {
  const setHeaders = helmet(helmetOptions(production));
  return (request, reply) => setHeaders(request.raw, reply.raw, () => undefined);
}

export async function registerSecurity(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  const { production, cookieSecret } = options;

  // The same options helmet's own ESM types describe; @fastify/helmet's CommonJS copy of them differs
  // only in declaration, hence the cast.
  const headers = helmetOptions(production) as unknown as FastifyHelmetOptions;
  await app.register(fastifyHelmet, { global: true, enableCSPNonces: false, ...headers });

  await app.register(fastifyCookie, { secret: cookieSecret });

  await app.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });

  await app.register(fastifyCsrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: true, signed: true },
    // Only the form field: journeys post ordinary HTML forms.
    getToken: (request) => {
      const body = request.body as { _csrf?: unknown } | undefined;
      return typeof body?._csrf === 'string' ? body._csrf : undefined;
    },
  });
}

/**
 * preHandler for every state-changing route that takes a form:
 *   app.post('/x', { preHandler: csrfProtect }, handler)
 * A missing or wrong token becomes a 403 error (code FST_CSRF_*), which the
 * error pages show as "This form has expired".
 */
export function csrfProtect(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  request.server.csrfProtection(request, reply, done);
}

/**
 * Widen this response's CSP form-action to the given redirect URIs' origins,
 * for pages whose form POST ends in a redirect to a supplier. Call it in the
 * handler that renders the page holding the form. Native-app redirect URIs
 * (custom schemes) are allowed by scheme.
 */
export function allowFormActionTo(reply: FastifyReply, urls: string[]): void {
  const sources = new Set<string>();
  for (const u of urls) {
    const url = new URL(u);
    const source = url.origin === 'null' ? url.protocol : url.origin;
    // Never let a registered URI smuggle extra CSP syntax in.
    if (/^[a-z][a-z0-9+.-]*:(\/\/[a-z0-9.\-[\]:]+)?$/i.test(source)) sources.add(source);
  }
  const current = reply.raw.getHeader('content-security-policy');
  if (typeof current !== 'string') return;
  const updated = current
    .split(';')
    .map((directive) =>
      directive.trim().startsWith('form-action ')
        ? `form-action 'self' ${[...sources].join(' ')}`
        : directive,
    )
    .join(';');
  reply.raw.setHeader('content-security-policy', updated);
}
