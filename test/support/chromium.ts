// What the real-browser suites share: where Chromium is, how it is started,
// the axe scan (WCAG 2.2 AA) and small locator helpers.
//
// Needs Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH). Without it a
// suite is skipped with a warning, unless REQUIRE_BROWSER=1 (CI), when it fails.
import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const REQUIRE_BROWSER = process.env.REQUIRE_BROWSER === '1';
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
/** Skip the suite only when there is no Chromium and CI does not require one. */
export const SKIP_BROWSER = !HAVE_CHROMIUM && !REQUIRE_BROWSER;

export function warnIfSkipped(suite: string): void {
  if (!SKIP_BROWSER) return;
  console.warn(
    `\n[${suite}] SKIPPED: no Chromium at ${CHROMIUM_PATH}. Install it (apt-get install chromium) ` +
      'or set CHROMIUM_PATH; set REQUIRE_BROWSER=1 to make a missing browser fail the run.\n',
  );
}

export function assertChromium(): void {
  if (!HAVE_CHROMIUM) {
    throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`);
  }
}

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Scans the page with axe and returns readable violations (also printed). */
export async function axe(page: Page, label: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  expect(results.passes.length, `axe ran no checks on ${label}`).toBeGreaterThan(0);
  const found = results.violations.map(
    (v) =>
      `${label} (${new URL(page.url()).pathname}): ${v.id} [${v.impact}] ${v.help}\n` +
      v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\n/g, ' ')}`).join('\n'),
  );
  if (found.length) console.log(`axe violations on ${label}:\n${found.join('\n')}`);
  return found;
}

/** The visible text of the first match, trimmed (waits for it to appear). */
export async function text(locator: Locator): Promise<string> {
  return (await locator.first().innerText()).trim();
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A URL pattern for a path under a base URL, with or without a query. */
export function at(base: string, path: string): RegExp {
  return new RegExp(`^${escapeRegExp(base)}${escapeRegExp(path)}(\\?|$)`);
}
