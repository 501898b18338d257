// The nunjucks environment every page renders through, and `render`, which
// adds the locals every page needs (service name, CSRF token).
//
// Search path, first match wins:
//   1. src/web/views         layout.njk, error.njk, partials/*.njk
//   2. options.extraPaths    journey and back-office view folders, in order.
//                            Name journey templates so they cannot collide
//                            (e.g. "register/email.njk" inside the folder).
//   3. nhsuk-frontend/dist   the design system's own templates.
//
// nhsuk-frontend macros are imported with the "nhsuk/" prefix:
//   {% from "nhsuk/components/button/macro.njk" import button %}
//   {% from "nhsuk/components/input/macro.njk" import input %}
// (v10 macro names are the camelCase component names: button, input,
// errorSummary, backLink, radios, dateInput, ...; see each component's
// macro-options.json in node_modules/nhsuk-frontend/dist/nhsuk/components.)
// Imports do not cross `extends`: a page importing macros for its own
// blocks must import them itself.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  APP_ASSETS_PREFIX,
  NHSUK_ASSETS_PREFIX,
  nhsukDistDir,
  nhsukVersion,
  webPublicDir,
  webViewsDir,
} from './paths.js';

export type Views = nunjucks.Environment;

/** Field name (the id of the input the error belongs to) -> message. */
export type FieldErrors = Partial<Record<string, string>>;

export interface ErrorListItem {
  text: string;
  href: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by registerViews; what `render` renders with. */
    views: nunjucks.Environment;
  }
}

export const SERVICE_NAME = 'NHS login';

export interface CreateViewsOptions {
  /** Extra view folders (journeys, back office), searched after src/web/views. */
  extraPaths?: string[];
  /** Re-read templates on every render (development). Default false. */
  noCache?: boolean;
}

/**
 * Build the error summary list from field errors, in the record's order
 * (put keys in the order the fields appear on the page). `hrefs` overrides
 * the target for fields whose first input has another id (e.g. a date input:
 * { dob: '#dob-day' }).
 */
export function errorList(
  errors: FieldErrors | null | undefined,
  hrefs?: Record<string, string> | null,
): ErrorListItem[] {
  if (!errors || typeof errors !== 'object') return [];
  const items: ErrorListItem[] = [];
  for (const [field, message] of Object.entries(errors)) {
    if (typeof message !== 'string' || message === '') continue;
    items.push({ text: message, href: hrefs?.[field] ?? `#${field}` });
  }
  return items;
}

const assetHashes = new Map<string, string>();

/**
 * URL of a file in src/web/public with a content hash query, so the files can
 * be cached for a year and still change on deploy.
 */
export function appAsset(name: string): string {
  let hash = assetHashes.get(name);
  if (hash === undefined) {
    try {
      hash = createHash('sha256')
        .update(readFileSync(join(webPublicDir, name)))
        .digest('hex')
        .slice(0, 12);
    } catch {
      hash = 'missing';
    }
    assetHashes.set(name, hash);
  }
  return `${APP_ASSETS_PREFIX}/${name}?v=${hash}`;
}

export function createViews(options: CreateViewsOptions = {}): Views {
  const searchPaths = [webViewsDir, ...(options.extraPaths ?? []), nhsukDistDir];
  const loader = new nunjucks.FileSystemLoader(searchPaths, { noCache: options.noCache ?? false });
  const env = new nunjucks.Environment(loader, {
    autoescape: true,
    throwOnUndefined: false,
    // What nhsuk-frontend's own environment uses; its templates assume it.
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addGlobal('serviceName', SERVICE_NAME);
  env.addGlobal('nhsukVersion', nhsukVersion);
  env.addGlobal('nhsukAssetPath', NHSUK_ASSETS_PREFIX);
  env.addGlobal('appAsset', appAsset);
  env.addGlobal('errorList', errorList);
  // {{ errors | errorList }} or {{ errors | errorList({ dob: "#dob-day" }) }}
  env.addFilter('errorList', errorList);
  return env;
}

/** Make `views` what `render` uses for this app (call once, on the root instance). */
export function registerViews(app: FastifyInstance, views: Views): void {
  app.decorate('views', views);
}

/** The CSRF token for this browser, or '' when CSRF protection is not registered. */
function csrfTokenFor(reply: FastifyReply): string {
  const generate = (reply as Partial<Pick<FastifyReply, 'generateCsrf'>>).generateCsrf;
  if (typeof generate !== 'function') return '';
  try {
    return generate.call(reply);
  } catch {
    // e.g. the request failed before cookies were parsed
    return '';
  }
}

/** Render with an explicit environment (what `render` and the error pages use). */
export function renderWith(
  views: Views,
  reply: FastifyReply,
  template: string,
  context: Record<string, unknown> = {},
): string {
  const html = views.render(template, {
    serviceName: SERVICE_NAME,
    csrfToken: csrfTokenFor(reply),
    ...context,
  });
  reply.type('text/html; charset=utf-8');
  // Pages of an identity provider hold personal data and one-time tokens.
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  return html;
}

/**
 * Render a page: returns the HTML (return it from the handler) and sets the
 * content type. Adds `serviceName` and `csrfToken` to the context.
 */
export function render(reply: FastifyReply, template: string, context: Record<string, unknown> = {}): string {
  const views = reply.server.views as Views | undefined;
  if (!views) throw new Error('render: call registerViews(app, views) first');
  return renderWith(views, reply, template, context);
}
