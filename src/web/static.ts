// Browser assets, served straight from node_modules and src/web/public.
//
//   /assets/nhsuk/nhsuk-frontend-<version>.min.css|.js   the package's bundles
//                                                        (versioned names: cached a year, immutable)
//   /assets/nhsuk/nhsuk-frontend.min.css|.js             unversioned names (cached a day)
//   /assets/nhsuk/images/*, /assets/nhsuk/manifest.json  logos, icons, favicons
//   /assets/images/*                                     the same images again: the
//                                                        package's CSS asks for
//                                                        url(/assets/images/nhsuk-icon-*.svg)
//   /assets/app/*                                        src/web/public (pages link them
//                                                        with ?v=<content hash>, see appAsset)
//
// Every @fastify/static registration here passes decorateReply: false, so
// another part of the app may register its own with reply.sendFile.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import {
  APP_ASSETS_PREFIX,
  NHSUK_ASSETS_PREFIX,
  nhsukAssetsDir,
  nhsukBundleDir,
  nhsukVersion,
  webPublicDir,
} from './paths.js';

const YEAR = 365 * 24 * 60 * 60;
const DAY = 24 * 60 * 60;
const WEEK = 7 * DAY;

const BUNDLE = /^nhsuk-frontend(-[0-9.]+)?\.min\.(css|js)(\.map)?$/;

function contentType(name: string): string {
  if (name.endsWith('.map')) return 'application/json; charset=utf-8';
  if (name.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'text/javascript; charset=utf-8';
}

/**
 * The stylesheet loads the Frutiger web font from assets.nhs.uk. Our CSP
 * allows fonts from this site only (no request leaves it, and many NHS
 * networks block egress), so those @font-face rules would only fill every
 * browser console with refusals; they are dropped and text uses the design
 * system's own fallback (Arial).
 */
function withoutRemoteFonts(name: string, body: Buffer): Buffer {
  if (!name.endsWith('.css')) return body;
  return Buffer.from(body.toString('utf8').replace(/@font-face\{[^}]*https?:\/\/[^}]*\}/g, ''));
}

export async function registerStatic(app: FastifyInstance): Promise<void> {
  // The bundles: a handful of files, read once and served from memory.
  for (const name of readdirSync(nhsukBundleDir)) {
    if (!BUNDLE.test(name)) continue;
    const body = withoutRemoteFonts(name, readFileSync(join(nhsukBundleDir, name)));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const versioned = name.includes(`-${nhsukVersion}.`);
    const cacheControl = versioned ? `public, max-age=${YEAR}, immutable` : `public, max-age=${DAY}`;
    const send = (request: { headers: Record<string, unknown> }, reply: FastifyReply) => {
      reply.header('cache-control', cacheControl).header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(contentType(name)).send(body);
    };
    app.get(`${NHSUK_ASSETS_PREFIX}/${name}`, send);
  }

  await app.register(fastifyStatic, {
    root: nhsukAssetsDir,
    prefix: `${NHSUK_ASSETS_PREFIX}/`,
    decorateReply: false,
    index: false,
    redirect: false,
    list: false,
    maxAge: WEEK * 1000,
  });

  await app.register(fastifyStatic, {
    root: join(nhsukAssetsDir, 'images'),
    prefix: '/assets/images/',
    decorateReply: false,
    index: false,
    redirect: false,
    list: false,
    maxAge: WEEK * 1000,
  });

  await app.register(fastifyStatic, {
    root: webPublicDir,
    prefix: `${APP_ASSETS_PREFIX}/`,
    decorateReply: false,
    index: false,
    redirect: false,
    list: false,
    maxAge: YEAR * 1000,
    immutable: true,
  });
}
