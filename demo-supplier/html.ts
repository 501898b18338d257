// HTML helpers for the demo supplier: every value printed goes through esc().

/** Escapes a value for HTML text and double- or single-quoted attributes. */
export function esc(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
        ? String(value)
        : (JSON.stringify(value) ?? '');
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function page(title: string, body: string, options: { signedIn?: boolean } = {}): string {
  const nav = options.signedIn
    ? `<nav class="header-nav"><a href="/me">Your account</a></nav>`
    : `<nav class="header-nav"><a href="/">Start</a></nav>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – Demo GP surgery app</title>
<link rel="stylesheet" href="/assets/demo-supplier.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="header">
  <div class="width-container header-inner">
    <a class="header-brand" href="/">Demo GP surgery app</a>
    ${nav}
  </div>
</header>
<div class="phase-banner">
  <div class="width-container">
    <strong class="tag">Demo</strong>
    A pretend NHS login supplier for local development. Its private key is public: never use it for real.
  </div>
</div>
<main id="main" class="width-container main">
${body}
</main>
<footer class="footer"><div class="width-container">Demo supplier of the open NHS login implementation.</div></footer>
</body>
</html>
`;
}

/** A two-column table of claims; objects and arrays are shown as JSON. */
export function claimsTable(caption: string, claims: Record<string, unknown> | undefined): string {
  if (!claims || Object.keys(claims).length === 0) {
    return `<p class="hint">${esc(caption)}: none.</p>`;
  }
  const rows = Object.entries(claims)
    .map(
      ([name, value]) =>
        `<tr><th scope="row"><code>${esc(name)}</code></th><td>${claimValue(name, value)}</td></tr>`,
    )
    .join('\n');
  return `<table class="table">
<caption>${esc(caption)}</caption>
<thead><tr><th scope="col">Claim</th><th scope="col">Value</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time']);

function claimValue(name: string, value: unknown): string {
  if (typeof value === 'string') return `<code>${esc(value)}</code>`;
  if (typeof value === 'number' && TIME_CLAIMS.has(name)) {
    return `<code>${esc(value)}</code> <span class="hint">(${esc(new Date(value * 1000).toISOString())})</span>`;
  }
  if (value !== null && typeof value === 'object') {
    return `<pre><code>${esc(JSON.stringify(value, null, 2))}</code></pre>`;
  }
  return `<code>${esc(JSON.stringify(value))}</code>`;
}

export const STYLESHEET = `/* Demo supplier: a minimal look borrowed from the NHS design system. */
*, *::before, *::after { box-sizing: border-box; }
html { background: #f0f4f5; }
body { margin: 0; font-family: Frutiger W01, Arial, sans-serif; font-size: 1.1875rem; line-height: 1.5; color: #212b32; }
a { color: #005eb8; }
a:visited { color: #330072; }
a:focus, button:focus, input:focus { outline: 4px solid transparent; box-shadow: 0 -2px #ffeb3b, 0 4px #212b32; background-color: #ffeb3b; }
.skip-link { position: absolute; left: -9999px; }
.skip-link:focus { left: 1rem; top: 1rem; padding: 0.5rem; z-index: 1; }
.width-container { max-width: 960px; margin: 0 auto; padding: 0 1rem; }
.header { background: #005eb8; color: #fff; }
.header-inner { display: flex; justify-content: space-between; align-items: center; padding-top: 1rem; padding-bottom: 1rem; }
.header a, .header a:visited { color: #fff; }
.header-brand { font-weight: 700; font-size: 1.5rem; text-decoration: none; }
.phase-banner { background: #fff; border-bottom: 1px solid #d8dde0; padding: 0.5rem 0; font-size: 1rem; }
.tag { display: inline-block; background: #005eb8; color: #fff; padding: 0 0.5rem; margin-right: 0.5rem; }
.main { padding-top: 2rem; padding-bottom: 3rem; }
h1 { font-size: 2.5rem; line-height: 1.2; margin: 0 0 1.5rem; }
h2 { font-size: 1.75rem; margin: 2rem 0 1rem; }
.lede { font-size: 1.375rem; }
.hint { color: #4c6272; }
fieldset { border: 0; padding: 0; margin: 0 0 2rem; }
legend { font-weight: 700; font-size: 1.375rem; margin-bottom: 0.5rem; }
.choice { display: block; margin: 0.5rem 0; }
.choice input { width: 1.5rem; height: 1.5rem; vertical-align: middle; margin-right: 0.5rem; }
.button { display: inline-block; border: 2px solid transparent; border-radius: 4px; box-shadow: 0 4px 0 #00401e; background: #007f3b; color: #fff; font: inherit; font-weight: 600; padding: 0.6rem 1rem; margin: 0 1rem 1rem 0; cursor: pointer; text-decoration: none; }
.button:hover { background: #00662f; }
.button.secondary { background: #4c6272; box-shadow: 0 4px 0 #263139; }
.button.warning { background: #d5281b; box-shadow: 0 4px 0 #6b140e; }
.inline-form { display: inline; }
.panel { background: #fff; border: 1px solid #d8dde0; padding: 1.5rem; margin-bottom: 2rem; }
.panel.success { border-left: 8px solid #007f3b; }
.panel.error { border-left: 8px solid #d5281b; }
.panel.info { border-left: 8px solid #005eb8; }
.table { width: 100%; border-collapse: collapse; background: #fff; margin-bottom: 2rem; font-size: 1rem; }
.table caption { text-align: left; font-weight: 700; font-size: 1.375rem; padding: 0.5rem 0; }
.table th, .table td { text-align: left; vertical-align: top; border-bottom: 1px solid #d8dde0; padding: 0.5rem; }
.table pre { margin: 0; white-space: pre-wrap; word-break: break-all; }
code { font-family: Consolas, Menlo, monospace; font-size: 0.95em; word-break: break-all; }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.5rem; background: #fff; padding: 1.5rem; border: 1px solid #d8dde0; margin: 0 0 2rem; }
.summary dt { font-weight: 700; }
.summary dd { margin: 0; }
.footer { border-top: 4px solid #005eb8; background: #d8dde0; padding: 1.5rem 0; font-size: 1rem; }
`;
