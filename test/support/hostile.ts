// What every answer to hostile input must look like, and the fast-check
// arbitraries that make the input: strings of controls, bidi marks, lone
// surrogates, markup and templates; query strings with broken
// percent-encoding; form, JSON (huge and deeply nested), raw-byte and
// multipart bodies under odd content types. Used by hostile-property.test.ts.
import { createConnection } from 'node:net';
import fc from 'fast-check';
import { expect } from 'vitest';

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Text that must never reach a person or a client: stack traces, internals, database errors. */
export const LEAKS: RegExp[] = [
  /\n\s+at [^\n]*:\d+:\d+/,
  /\bat (?:async )?[\w$.<>]+ \((?:file:|node:|\/)/,
  /node_modules/,
  /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|AssertionError|EvalError)\b/,
  /\bERR_[A-Z_]{4,}/,
  /\/work\/|file:\/\//,
  /\b(?:kysely|pglite|postgres|SQLSTATE|violates|relation "|duplicate key)\b/i,
  /Cannot read propert|is not a function|undefined is not|Unexpected token/,
];

/**
 * Where a Location header may point: a path on this service (never `//host`
 * or `/\host`, which browsers read as another site), the issuer's origin, or
 * exactly one of the registered redirect URIs followed by a query or fragment.
 */
export function allowedLocation(location: string, issuer: string, registered: Iterable<string>): boolean {
  // Only printable ASCII may stand in a Location header (anything else is encoded first).
  if ([...location].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) >= 0x7f)) return false;
  if (location.startsWith('/')) return !location.startsWith('//') && !location.startsWith('/\\');
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return false;
  }
  if (url.origin === new URL(issuer).origin && !url.username && !url.password) return true;
  return [...registered].some(
    (uri) => location === uri || location.startsWith(`${uri}?`) || location.startsWith(`${uri}#`),
  );
}

/** Never a 5xx, never internals in the body, never a redirect off the service except to a registered URI. */
export function expectSafe(res: Answer, label: string, issuer: string, registered: Iterable<string>): void {
  const context = `${label}: ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, context).toBeGreaterThanOrEqual(200);
  expect(res.statusCode, context).toBeLessThan(500);
  for (const leak of LEAKS) expect(res.body, context).not.toMatch(leak);
  const location = res.headers.location;
  if (location !== undefined) {
    expect(typeof location, context).toBe('string');
    expect(
      allowedLocation(location as string, issuer, registered),
      `${context} → ${location as string}`,
    ).toBe(true);
  }
  // No header value (reflected or not) carries a raw line break.
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of ([] as unknown[]).concat(value))
      expect(String(v), `${context} header ${name}`).not.toMatch(/[\r\n]/);
  }
}

// ---------------------------------------------------------------------------
// Arbitraries

/** Pieces hostile strings are made of. */
export const PIECES = [
  'a',
  'Z',
  '0',
  ' ',
  '@',
  '.',
  '+',
  '%',
  '&',
  '=',
  '?',
  '#',
  '/',
  '\\',
  ';',
  '\u0000',
  '\u0007',
  '\r',
  '\n',
  '\r\n',
  '\t',
  '\u007f',
  '\u0085',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\uffff',
  '\ud800',
  '\udfff',
  '😀',
  'e\u0301',
  'İ',
  '<script>',
  '"',
  "'",
  '{{7*7}}',
  '{%',
  '${x}',
  '../',
  '%00',
  '%ff',
  '%0d%0a',
  'p0.patient@example.com',
  'https://evil.example/',
  '//evil.example',
  '__proto__',
  'constructor',
  '[]',
];

/** A hostile string: pieces above mixed with arbitrary unicode (lone surrogates included). */
export const hostileString = (maxPieces = 12): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...PIECES) },
        fc.string({ unit: 'binary', maxLength: 6 }),
      ),
      {
        maxLength: maxPieces,
      },
    )
    .map((parts) => parts.join(''));

/** Sometimes very long. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: hostileString() },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', '😀', '%', '\u0000'), fc.integer({ min: 1000, max: 20_000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

/** Drops the control characters (C0 and DEL), keeping the tab if asked. */
export function withoutControls(value: string, keepTab = false): string {
  return [...value]
    .filter((c) => {
      const code = c.charCodeAt(0);
      return !((code < 0x20 && !(keepTab && code === 0x09)) || code === 0x7f);
    })
    .join('');
}

/** Percent-encodes a string's UTF-8 bytes (lone surrogates become U+FFFD), every byte outside unreserved. */
export function encodeBytes(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

/** One piece of a query string as it might arrive on the wire: encoded text, broken escapes, invalid UTF-8. */
export const wireComponent: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileValue.map(encodeBytes) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }).map(encodeBytes) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '%',
      '%z',
      '%zz',
      '%ff%fe',
      '%E0%A4%A',
      '%C0%AE%C0%AE%2F',
      '%ED%A0%80',
      '%00',
      '%0d%0aSet-Cookie:%20x=y',
      '[]',
      '[__proto__]',
      '[0][a]',
      '..%2F..%2F',
      '+',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[!$'()*,/:;=?@[\]A-Za-z0-9\-._~]{0,20}$/) },
);

/** Parameter names: the ones the service reads, and junk. */
export const paramName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'client_id',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
    'nonce',
    'vtr',
    'prompt',
    'login_hint',
    'code',
    'token',
    'next',
    'filter',
    'to',
    'post_logout_redirect_uri',
    'id_token_hint',
    'email',
    '_csrf',
    '__proto__',
    'constructor[prototype][x]',
    'a[]',
    'a[b][c]',
  ),
  wireComponent,
);

/** A whole query string (without the `?`): repeated names, empty pairs, stray `&` and `=`. */
export const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(paramName, wireComponent).map(([k, v]) => `${k}=${v}`) },
      { weight: 1, arbitrary: paramName },
      { weight: 1, arbitrary: fc.constantFrom('', '=', '&', '==', '=x') },
    ),
    { maxLength: 8 },
  )
  .map((pairs) => pairs.join('&'));

/** JSON nested `depth` deep, as arrays or objects. */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

export interface HostileBody {
  name: string;
  contentType: string | undefined;
  payload: string | Buffer;
}

const contentTypes = fc.constantFrom(
  undefined,
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=x-evil',
  'application/x-www-form-urlencoded; charset=utf-16le',
  'application/json',
  'application/json; charset=latin1',
  'application/scim+json',
  'text/plain',
  'text/html',
  'application/xml',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'multipart/form-data',
  'application/x-www-form-urlencoded\r\nX-Injected: 1',
  '*/*',
  '',
  ';;;',
  'application/json, application/x-www-form-urlencoded',
);

/** A body of any shape under any content type (sizes up to a little over 1 MB). */
export const hostileBody: fc.Arbitrary<HostileBody> = fc.oneof(
  fc
    .tuple(fc.array(fc.tuple(paramName, wireComponent), { maxLength: 8 }), contentTypes)
    .map(([pairs, contentType]) => ({
      name: 'form',
      contentType,
      payload: pairs.map(([k, v]) => `${k}=${v}`).join('&'),
    })),
  fc
    .tuple(fc.jsonValue({ maxDepth: 4 }), contentTypes)
    .map(([value, contentType]) => ({ name: 'json', contentType, payload: JSON.stringify(value) ?? 'null' })),
  fc
    .tuple(deepJson, contentTypes)
    .map(([payload, contentType]) => ({ name: 'deep json', contentType, payload })),
  fc
    .tuple(fc.uint8Array({ maxLength: 64 }), contentTypes)
    .map(([bytes, contentType]) => ({ name: 'bytes', contentType, payload: Buffer.from(bytes) })),
  fc
    .tuple(
      fc.integer({ min: 60 * 1024, max: 1100 * 1024 }),
      fc.constantFrom('email=', '{"a":"', '_csrf='),
      contentTypes,
    )
    .map(([size, start, contentType]) => ({
      name: 'oversized',
      contentType,
      payload: `${start}${'x'.repeat(size)}`,
    })),
  fc.tuple(hostileString(), contentTypes).map(([text, contentType]) => ({
    name: 'multipart',
    contentType: contentType?.startsWith('multipart') ? contentType : 'multipart/form-data; boundary=x',
    payload: `--x\r\nContent-Disposition: form-data; name="${text}"\r\n\r\n${text}\r\n--x--`,
  })),
);

// ---------------------------------------------------------------------------
// Raw HTTP over a socket, for headers the way they arrive on the wire (Node's
// HTTP parser, not the app, meets a CR or LF in a header value first).

/**
 * Sends one request, byte for byte as given (header values as UTF-8), over a
 * new connection, and reads the answer: status, headers (lower-cased names,
 * repeated ones as arrays) and the raw body.
 */
export function rawRequest(
  port: number,
  request: { method: string; path: string; headers: [string, string][]; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(request.body ?? '', 'utf8');
    const head = [
      `${request.method} ${request.path} HTTP/1.1`,
      'Host: localhost:3000',
      'Connection: close',
      ...(request.body === undefined ? [] : [`Content-Length: ${body.length}`]),
      ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ].join('\r\n');
    const socket = createConnection(port, '127.0.0.1', () => {
      socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), body]));
    });
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer within 15 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no complete answer: ${JSON.stringify(text.slice(0, 200))}`));
      const [status, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string | string[]> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        const seen = headers[name];
        headers[name] = seen === undefined ? value : ([] as string[]).concat(seen, value);
      }
      resolve({ statusCode: Number(status!.split(' ')[1]), headers, body: text.slice(end + 4) });
    });
  });
}
