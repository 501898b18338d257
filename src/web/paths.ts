// Where the shared web pieces live on disk: our own views and public files,
// and the nhsuk-frontend package inside node_modules (never copied).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** node_modules/nhsuk-frontend */
export const nhsukPackageDir = dirname(require.resolve('nhsuk-frontend/package.json'));
/** node_modules/nhsuk-frontend/dist: the nunjucks search path, so templates are "nhsuk/components/...". */
export const nhsukDistDir = join(nhsukPackageDir, 'dist');
/** node_modules/nhsuk-frontend/dist/nhsuk: the compiled CSS and JS bundles. */
export const nhsukBundleDir = join(nhsukDistDir, 'nhsuk');
/** node_modules/nhsuk-frontend/dist/nhsuk/assets: images/ and manifest.json. */
export const nhsukAssetsDir = join(nhsukBundleDir, 'assets');

export const nhsukVersion: string = (
  JSON.parse(readFileSync(join(nhsukPackageDir, 'package.json'), 'utf8')) as { version: string }
).version;

/** src/web/views: layout.njk, error.njk, partials/. */
export const webViewsDir = fileURLToPath(new URL('./views', import.meta.url));
/** src/web/public: our own browser files, served under /assets/app/. */
export const webPublicDir = fileURLToPath(new URL('./public', import.meta.url));

export const NHSUK_ASSETS_PREFIX = '/assets/nhsuk';
export const APP_ASSETS_PREFIX = '/assets/app';
