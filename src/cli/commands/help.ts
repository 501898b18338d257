// `help` (and no arguments): every command and flag, one line each.
// `help suppliers` (or `suppliers --help`) shows just that group.
import { EXIT_OK, EXIT_USAGE, type CliContext, type Command } from '../context.js';

interface Usage {
  group: string;
  synopsis: string;
  summary: string;
  flags?: [string, string][];
}

const SUPPLIER_FLAGS: [string, string][] = [
  ['--name NAME', 'the service name people see'],
  [
    '--public-key FILE.pem',
    'an RSA public key of 2048 bits or more (EC P-256 only with --assertion-alg ES256); repeat for more keys',
  ],
  ['--jwks-uri URL', 'fetch the keys from this https URL instead of --public-key (checked once now)'],
  ['--redirect-uri URI', 'an exact https redirect URI, no query string; repeat, at most 10'],
  ['--scope SCOPE', 'an approved scope (openid is required); repeat'],
  ['--scopes "openid profile"', 'several approved scopes at once, space-separated'],
  ['--vtr P9.Cp.Cd', 'a vector of trust it may request; repeat (default P9.Cp.Cd P9.Cp.Ck P9.Cm)'],
  ['--sso-partner ID', 'a client whose asserted_login_identity it accepts; repeat'],
  ['--assertion-alg RS256', 'a client assertion algorithm besides RS512 (RS256, PS256, ES256); repeat'],
  ['--post-logout-redirect-uri URI', 'where RP-initiated logout may return to; repeat'],
  ['--backchannel-logout-uri URI', 'where back-channel logout tokens are sent'],
  ['--sandpit', 'mark it as a sandpit (test) supplier'],
  ['--users-api', 'approve it for the Users (SCIM) API: the jwt-bearer grant and GET /v2/Users'],
  ['--no-users-api', 'withdraw (or do not give) that approval'],
  ['--provisioning ODS', 'approve it for the Provision Account API, for the organisation with this ODS code'],
  ['--no-provisioning', 'withdraw that approval'],
  [
    '--gp-integration-approval REF',
    'the GP integration (IM1 pairing) approval reference; needed to grant gp_integration_credentials',
  ],
];

export const USAGE: Usage[] = [
  { group: 'migrate', synopsis: 'migrate', summary: 'Apply pending database migrations and say which ran.' },
  {
    group: 'suppliers',
    synopsis:
      'suppliers add --client-id ID --name NAME --public-key FILE.pem --redirect-uri URI --scope openid [flags]',
    summary:
      'Register a new supplier (an existing client id is refused; use change). Prints an openid-client snippet.',
    flags: [
      ['--client-id ID', 'the client id: letters, digits, dots, hyphens, underscores'],
      ...SUPPLIER_FLAGS,
    ],
  },
  {
    group: 'suppliers',
    synopsis: 'suppliers list',
    summary:
      'List suppliers: client id, name, number of redirect URIs, scopes, status (active, suspended, sandpit).',
  },
  {
    group: 'suppliers',
    synopsis: 'suppliers show ID',
    summary: "Print a supplier's stored metadata as JSON.",
  },
  {
    group: 'suppliers',
    synopsis: 'suppliers change ID [flags]',
    summary:
      "Change a supplier: each flag given replaces that value (the add flags, except --client-id). A repeatable flag given '' clears it.",
    flags: [
      ['--add-redirect-uri URI', 'add one redirect URI, keeping the others; repeat'],
      ['--remove-redirect-uri URI', 'remove one redirect URI; repeat'],
      ['--public-key FILE.pem', 'replace the registered keys (repeat to register several)'],
      ['--no-sandpit', 'no longer a sandpit supplier'],
      ['--suspend --reason TEXT', 'suspend it (invalid_client everywhere) until resumed; on its own'],
      ['--resume --reason TEXT', 'lift a suspension; on its own'],
    ],
  },
  {
    group: 'suppliers',
    synopsis: 'suppliers remove ID',
    summary: 'Remove a supplier with its grants, codes and tokens.',
  },
  {
    group: 'keys',
    synopsis: 'keys rotate',
    summary: 'Make a new signing key; the old one stays published for 2 hours so issued tokens still verify.',
  },
  {
    group: 'keys',
    synopsis: 'keys list',
    summary: 'List signing keys: kid, status, created, superseded (never the private key).',
  },
  {
    group: 'outbox',
    synopsis: 'outbox [--to ADDRESS] [--limit N]',
    summary: 'Print the development outbox (emails and texts "sent"), newest first.',
    flags: [
      ['--to ADDRESS', 'only messages to this email address or phone number'],
      ['--limit N', 'at most N messages (default 50)'],
    ],
  },
  {
    group: 'people',
    synopsis: 'people',
    summary: 'List the test people: level, email, NHS number, and their shared password.',
  },
  {
    group: 'gp-linkages',
    synopsis: 'gp-linkages [--ods CODE] [--limit N]',
    summary:
      'Print GP online services details (Account ID, Linkage Key, ODS code) from the simulated GP system, for proving identity in testing. Refused when GP_SYSTEM_BASE_URL is set.',
    flags: [
      ['--ods CODE', 'only details at this practice (ODS code)'],
      ['--limit N', 'at most N sets of details (default 20)'],
    ],
  },
  {
    group: 'seed',
    synopsis: 'seed',
    summary: 'Register the demo supplier and the test people now (not in production).',
  },
  {
    group: 'audit',
    synopsis: 'audit verify',
    summary: "Check the audit log's hash chain; exit code 1 and the entry id when it is broken.",
  },
  {
    group: 'staff',
    synopsis: 'staff create-operator --email EMAIL --name NAME [--ods-code X26]',
    summary: 'Create a back-office operator and print their one-time setup link (72 hours).',
    flags: [
      ['--email EMAIL', 'their work email address'],
      ['--name NAME', 'their full name'],
      ['--ods-code CODE', 'their organisation (default X26, the service operator)'],
    ],
  },
  {
    group: 'staff',
    synopsis: 'staff list',
    summary: 'List back-office staff: email, name, organisation, role, status.',
  },
  { group: 'help', synopsis: 'help [COMMAND]', summary: 'This text; with a command, just that command.' },
];

export const GROUPS = [...new Set(USAGE.map((u) => u.group))];

/** The usage text, all of it or one group's. */
export function usageLines(group?: string): string[] {
  const entries = group ? USAGE.filter((u) => u.group === group) : USAGE;
  const lines = group
    ? []
    : ['Usage: npm run cli -- COMMAND [flags]   (or: npx tsx src/cli/index.ts COMMAND)', ''];
  lines.push(group ? 'Usage:' : 'Commands:');
  for (const u of entries) {
    lines.push(`  ${u.synopsis}`, `      ${u.summary}`);
    const width = Math.max(0, ...(u.flags ?? []).map(([f]) => f.length));
    for (const [f, explanation] of u.flags ?? []) lines.push(`        ${f.padEnd(width)}  ${explanation}`);
  }
  if (!group) {
    lines.push(
      '',
      'Settings come from the environment as for the service (DATABASE_URL, DATA_DIR, ENCRYPTION_KEY, ISSUER).',
      'Exit codes: 0 done, 1 failed, 2 usage mistake.',
    );
  }
  return lines;
}

/** help needs no database, so it takes only the writers. */
export function help(ctx: Pick<CliContext, 'out' | 'err'>, args: string[]): number {
  const topic = args[0];
  if (topic !== undefined && !GROUPS.includes(topic)) {
    ctx.err(`There is no command ${topic}.`);
    for (const line of usageLines()) ctx.err(line);
    return EXIT_USAGE;
  }
  for (const line of usageLines(topic)) ctx.out(line);
  return EXIT_OK;
}

export const helpCommand: Command = (ctx, args) => Promise.resolve(help(ctx, args));
