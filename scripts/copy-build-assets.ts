// The second half of `npm run build`: tsc compiles the TypeScript into dist/
// (tsconfig.build.json), and this copies beside it what the compiled code
// reads at run time, at the same paths relative to it: templates and browser
// files under src/, the synthetic PDS and GP fixtures, and the demo supplier's
// keys. `node dist/src/main.js` then runs without tsx or the sources.
// Usage: tsx scripts/copy-build-assets.ts [outDir]  (default dist)
import { cpSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.resolve(root, process.argv[2] ?? 'dist');

/** Everything under src/ the compiler does not emit: .njk, .css, browser .js, images. */
cpSync(path.join(root, 'src'), path.join(outDir, 'src'), {
  recursive: true,
  filter: (from) =>
    !from.includes(`${path.sep}__fixtures__`) && (statSync(from).isDirectory() || !from.endsWith('.ts')),
});
for (const folder of ['fixtures', path.join('demo-supplier', 'keys')])
  cpSync(path.join(root, folder), path.join(outDir, folder), { recursive: true });
console.log(`assets copied to ${path.relative(root, outDir) || '.'}`);
