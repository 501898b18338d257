// The production build (`npm run build`, then `node dist/src/main.js`): the
// compiled service runs without tsx or the TypeScript sources, finds its
// templates, browser files, fixtures and demo keys at the paths the build
// copied them to, and serves a sign-in page. Built into a temporary folder so
// the working tree's dist/ is left alone.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, demoSupplier } from './support/supplier.js';
import { freePort } from './support/service.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

describe('the production build', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'nhs-login-build-'));
  let service: ChildProcess | undefined;
  let base = '';
  let demoBase = '';
  let output = '';

  beforeAll(async () => {
    await run(bin('tsc'), ['-p', 'tsconfig.build.json', '--outDir', out], { cwd: root });
    await run(bin('tsx'), ['scripts/copy-build-assets.ts', out], { cwd: root });
    // dist/ inside the repository finds ../node_modules; this folder outside it needs a link.
    symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'));
    const [port, demoPort] = [await freePort(), await freePort()];
    base = `http://localhost:${port}`;
    demoBase = `http://localhost:${demoPort}`;
    service = spawn(process.execPath, [path.join(out, 'src', 'main.js'), '--with-demo'], {
      cwd: out,
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        DEMO_SUPPLIER_PORT: String(demoPort),
        DATA_DIR: path.join(out, 'data'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    service.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (service.exitCode !== null) throw new Error(`the built service exited: ${output}`);
      const ready = await fetch(`${base}/health/ready`).catch(() => undefined);
      // Ready for requests, and the banner printed (after the demo supplier is listening too).
      if (ready?.ok && output.includes('Start here:')) break;
      if (Date.now() > deadline) throw new Error(`the built service did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 120_000);

  afterAll(() => {
    service?.kill('SIGKILL');
    rmSync(out, { recursive: true, force: true });
  });

  it('compiles to JavaScript with what it reads at run time beside it', () => {
    for (const file of [
      'src/main.js',
      'src/adapters/face-match/worker.js', // the face worker loads compiled JavaScript directly
      'src/web/views/layout.njk',
      'src/journeys/sign-in/views/sign-in/email-password.njk',
      'fixtures/pds/synthetic-patients.ndjson',
      'demo-supplier/keys/demo-supplier-public.pem',
    ])
      expect(existsSync(path.join(out, file)), file).toBe(true);
    expect(existsSync(path.join(out, 'src/main.ts'))).toBe(false);
  });

  it('prints where to click and serves pages, assets, discovery and the demo supplier', async () => {
    expect(output).toContain(`Start here: ${demoBase}`);
    const home = await fetch(`${base}/`);
    expect(home.status).toBe(200);
    const html = await home.text();
    const stylesheet = /href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(stylesheet).toBeDefined();
    expect((await fetch(`${base}${stylesheet}`)).status).toBe(200);
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(base);
    expect((await fetch(demoBase)).status).toBe(200);
  });

  it('takes a supplier sign-in to the sign-in page', async () => {
    const start = await fetch(
      `${base}${authorizeUrl(demoSupplier(), { vtr: '["P0.Cp.Cd"]', redirect_uri: `${demoBase}/callback` }).url}`,
      {
        redirect: 'manual',
      },
    );
    expect(start.status).toBe(303);
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    let location = new URL(start.headers.get('location')!, base);
    let page = await fetch(location, { headers: { cookie }, redirect: 'manual' });
    while (page.status >= 300 && page.status < 400) {
      location = new URL(page.headers.get('location')!, location);
      page = await fetch(location, { headers: { cookie }, redirect: 'manual' });
    }
    expect(page.status).toBe(200);
    expect(location.pathname).toBe('/sign-in');
    expect(await page.text()).toContain('Log in to NHS login');
  });
});
