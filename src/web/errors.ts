// What people (and API clients) see when something goes wrong: a plain page
// that says what to do next, or an OAuth-style JSON error. Never a stack
// trace, never the exception's message.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE_JSON } from './unavailable.js';
import { renderWith, type Views } from './views.js';

export type ErrorPageKind =
  | 'notFound'
  | 'badRequest'
  | 'tooLarge'
  | 'formExpired'
  | 'tooManyRequests'
  | 'sessionEnded'
  | 'serverError'
  | 'unavailable';

export interface ErrorPage {
  status: number;
  pageTitle: string;
  paragraphs: string[];
  startAgainHref?: string;
  startAgainText?: string;
}

const GO_BACK = 'Go back to the NHS website or app you were using and start again.';

export const errorPages: Record<ErrorPageKind, ErrorPage> = {
  notFound: {
    status: 404,
    pageTitle: 'Page not found',
    paragraphs: [
      'If you typed the web address, check it is correct.',
      'If you pasted the web address, check you copied the entire address.',
      'If you were using NHS login to get into an NHS website or app, go back to it and start again.',
    ],
  },
  badRequest: {
    status: 400,
    pageTitle: 'There is a problem with your request',
    paragraphs: ['We could not understand what was sent.', GO_BACK],
  },
  tooLarge: {
    status: 413,
    pageTitle: 'What you sent was too large',
    paragraphs: ['Go back and try again with less text or a smaller file.'],
  },
  formExpired: {
    status: 403,
    pageTitle: 'This form has expired',
    paragraphs: [
      'For your security, forms stop working after a while or if cookies are blocked. We have not saved what you entered.',
      'Go back to the page and try again. Make sure cookies are turned on in your browser.',
    ],
    startAgainText: 'Try again',
  },
  tooManyRequests: {
    status: 429,
    pageTitle: 'You have tried too many times',
    paragraphs: ['For your security, wait a few minutes and then try again.'],
  },
  sessionEnded: {
    status: 400,
    pageTitle: 'Your session has ended',
    paragraphs: [
      'This may be because you did not do anything for a while, or you used the back button or an old link.',
      'We have not saved your details.',
      GO_BACK,
    ],
  },
  serverError: {
    status: 500,
    pageTitle: 'Sorry, there is a problem with the service',
    paragraphs: ['Try again later.', 'We have not saved your details.', GO_BACK],
  },
  // The database or Redis cannot be reached (src/web/unavailable.ts): a
  // passing outage, so the page says to try again soon, not that we broke.
  unavailable: {
    status: 503,
    pageTitle: 'Sorry, the service is unavailable',
    paragraphs: [
      'NHS login is not working at the moment. Try again in a few minutes.',
      'Anything you have already finished has been saved. We have not saved what you entered on this page.',
    ],
  },
};

export interface ErrorPagesOptions {
  /** Paths answered with JSON errors whatever the Accept header. */
  jsonPathPrefixes?: string[];
}

const DEFAULT_JSON_PREFIXES = ['/token', '/userinfo'];

function pathOf(request: FastifyRequest): string {
  const url = request.raw.url ?? request.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function wantsJson(request: FastifyRequest, prefixes: string[]): boolean {
  const path = pathOf(request);
  if (prefixes.some((p) => path === p || path.startsWith(`${p}/`))) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** A same-origin path to send the person back to; never "//host" (open redirect). */
function safeSamePath(request: FastifyRequest): string {
  const path = pathOf(request);
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') ? path : '/';
}

function kindFor(error: FastifyError, status: number): ErrorPageKind {
  if (status >= 500) return 'serverError';
  if (error.code?.startsWith('FST_CSRF_')) return 'formExpired';
  if (status === 404) return 'notFound';
  if (status === 413) return 'tooLarge';
  if (status === 429) return 'tooManyRequests';
  return 'badRequest';
}

function statusFor(error: FastifyError): number {
  if (error.validation) return 400;
  const status = error.statusCode;
  if (typeof status === 'number' && status >= 400 && status <= 599) return status;
  return 500;
}

/**
 * Render the error page of `kind` (for journeys: lost or expired journeys use
 * 'sessionEnded'). `overrides` can change the status, text or add a link.
 */
export function renderErrorPageWith(
  views: Views,
  reply: FastifyReply,
  kind: ErrorPageKind,
  overrides: Partial<ErrorPage> = {},
): string {
  const page = { ...errorPages[kind], ...overrides };
  reply.code(page.status);
  reply.header('cache-control', 'no-store');
  return renderWith(views, reply, 'error.njk', {
    pageTitle: page.pageTitle,
    paragraphs: page.paragraphs,
    startAgainHref: page.startAgainHref,
    startAgainText: page.startAgainText,
  });
}

/**
 * Fastify's own refusals before any route runs (a path that is not valid
 * percent-encoding, FST_ERR_BAD_URL): the bad-request page, or the OAuth JSON
 * on the JSON paths, as for any other bad request, rather than Fastify's raw JSON,
 * with the security headers every other answer has (securityHeadersSetter).
 */
export function frameworkErrorPage(
  views: Views,
  setSecurityHeaders: (request: FastifyRequest, reply: FastifyReply) => void,
  prefixes: string[] = DEFAULT_JSON_PREFIXES,
) {
  return (_error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    // No hook has run, so helmet has set nothing: the same headers, set here.
    setSecurityHeaders(request, reply);
    if (wantsJson(request, prefixes)) void sendJson(reply, 400, 'badRequest');
    else void sendPage(views, request, reply, 'badRequest', 400);
  };
}

/** The "service unavailable" page's HTML, for the provider's own error rendering (src/oidc/provider.ts). */
export function unavailableHtml(views: Views): string {
  const page = errorPages.unavailable;
  return views.render('error.njk', { pageTitle: page.pageTitle, paragraphs: page.paragraphs });
}

/** As renderErrorPageWith, with the environment given to registerViews. */
export function renderErrorPage(
  reply: FastifyReply,
  kind: ErrorPageKind,
  overrides: Partial<ErrorPage> = {},
): string {
  return renderErrorPageWith(reply.server.views, reply, kind, overrides);
}

function sendJson(reply: FastifyReply, status: number, kind: ErrorPageKind): FastifyReply {
  if (kind === 'unavailable')
    return reply
      .code(503)
      .header('cache-control', 'no-store')
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .type('application/json; charset=utf-8')
      .send(UNAVAILABLE_JSON);
  const error = status >= 500 ? 'server_error' : 'invalid_request';
  const description =
    status >= 500 ? 'The server could not complete the request' : errorPages[kind].pageTitle;
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send({ error, error_description: description });
}

function sendPage(
  views: Views,
  request: FastifyRequest,
  reply: FastifyReply,
  kind: ErrorPageKind,
  status: number,
): FastifyReply {
  const overrides: Partial<ErrorPage> = { status };
  if (kind === 'formExpired') overrides.startAgainHref = safeSamePath(request);
  let html: string;
  try {
    html = renderErrorPageWith(views, reply, kind, overrides);
  } catch (renderError) {
    request.log.error({ err: renderError }, 'error page failed to render');
    reply.code(status).type('text/plain; charset=utf-8');
    return reply.send(errorPages[kind].pageTitle);
  }
  return reply.send(html);
}

export function registerErrorPages(
  app: FastifyInstance,
  views: Views,
  options: ErrorPagesOptions = {},
): void {
  const prefixes = options.jsonPathPrefixes ?? DEFAULT_JSON_PREFIXES;

  app.setNotFoundHandler((request, reply) => {
    if (wantsJson(request, prefixes)) return sendJson(reply, 404, 'notFound');
    return sendPage(views, request, reply, 'notFound', 404);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isUnavailable(error)) {
      // Expected during an outage and not a bug: one line, no stack.
      request.log.warn(
        { code: (error as { code?: unknown }).code, message: error.message },
        'database or Redis unavailable; answered 503',
      );
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      if (wantsJson(request, prefixes)) return sendJson(reply, 503, 'unavailable');
      return sendPage(views, request, reply, 'unavailable', 503);
    }
    const status = statusFor(error);
    const kind = kindFor(error, status);
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      // Expected client errors: the code only, no message or body.
      request.log.info({ statusCode: status, code: error.code }, 'request rejected');
    }
    if (wantsJson(request, prefixes)) return sendJson(reply, status, kind);
    return sendPage(views, request, reply, kind, status >= 500 ? 500 : status);
  });
}
