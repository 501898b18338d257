// The flags `suppliers add` and `suppliers change` share, and how their
// values become a SupplierInput. The registration rules themselves live in
// store/suppliers.ts; here a rule's message is only given the flag it concerns.
import { readFile } from 'node:fs/promises';
import { CommandFailed, UsageError, list, str, type FlagOptions, type Parsed } from '../args.js';
import {
  DEFAULT_ALLOWED_VECTORS,
  GP_INTEGRATION_SCOPE,
  checkAllowedVectors,
  checkAssertionAlgs,
  checkGpIntegrationApproval,
  checkRedirectUris,
  checkScopes,
} from '../../domain/supplier-registration.js';
import { checkJwksUrl, publicKeyToJwk } from '../../oidc/clients.js';
import type { SupplierApproval } from '../../store/schema.js';
import type { SupplierInput } from '../../store/suppliers.js';

export const SUPPLIER_FLAGS: FlagOptions = {
  name: { type: 'string' },
  'public-key': { type: 'string', multiple: true },
  'jwks-uri': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  scopes: { type: 'string', multiple: true },
  vtr: { type: 'string', multiple: true },
  'sso-partner': { type: 'string', multiple: true },
  'assertion-alg': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'backchannel-logout-uri': { type: 'string' },
  sandpit: { type: 'boolean' },
  'users-api': { type: 'boolean' },
  'no-users-api': { type: 'boolean' },
  provisioning: { type: 'string' },
  'no-provisioning': { type: 'boolean' },
  'gp-integration-approval': { type: 'string' },
};

export const ADD_FLAGS: FlagOptions = { 'client-id': { type: 'string' }, ...SUPPLIER_FLAGS };

export const CHANGE_FLAGS: FlagOptions = {
  ...SUPPLIER_FLAGS,
  'add-redirect-uri': { type: 'string', multiple: true },
  'remove-redirect-uri': { type: 'string', multiple: true },
  'no-sandpit': { type: 'boolean' },
  suspend: { type: 'boolean' },
  resume: { type: 'boolean' },
  reason: { type: 'string' },
};

/** --scope (repeatable) and --scopes "openid profile" together, in order, without repeats. */
export function scopesFrom(p: Parsed): string[] {
  const all = p.options
    .filter((o) => o.name === 'scope' || o.name === 'scopes')
    .flatMap((o) => (o.name === 'scopes' ? (o.value ?? '').split(/[\s,]+/) : [o.value ?? '']));
  return [...new Set(all.map((s) => s.trim()).filter(Boolean))];
}

/** A repeatable flag's values; a single empty value ('') clears the list. */
export function values(p: Parsed, name: string): string[] {
  return list(p, name).filter((v) => v !== '');
}

/** Reads each --public-key file and checks it is a usable key, naming the file when not. */
export async function readPublicKeys(paths: string[]): Promise<string[]> {
  const pems: string[] = [];
  for (const path of paths) {
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code);
      throw new CommandFailed(`--public-key ${path}: cannot read the file (${why})`);
    }
    const jwk = publicKeyToJwk(pem);
    if (!jwk.ok) throw new CommandFailed(`--public-key ${path}: ${jwk.error}`);
    pems.push(pem);
  }
  return pems;
}

/**
 * Which flag a registration error from saveSupplier is about: the same rule
 * functions are asked in the same order, and the first that fails names it.
 */
export function flagAtFault(input: SupplierInput, error: string, redirectFlags = '--redirect-uri'): string {
  if (error.startsWith('client_id') || error.startsWith('A supplier with')) return '--client-id';
  if (error.startsWith('A name')) return '--name';
  if (!checkRedirectUris(input.redirectUris).ok) return redirectFlags;
  if (!checkScopes(input.scopes).ok) return '--scope';
  if (!checkAllowedVectors(input.allowedVectors ?? DEFAULT_ALLOWED_VECTORS).ok) return '--vtr';
  if (!checkAssertionAlgs(input.clientAssertionAlgs ?? []).ok) return '--assertion-alg';
  if (input.postLogoutRedirectUris?.length && !checkRedirectUris(input.postLogoutRedirectUris).ok) {
    return '--post-logout-redirect-uri';
  }
  if (error.startsWith('Back-channel')) return '--backchannel-logout-uri';
  if (error.startsWith('JWKS URL')) return '--jwks-uri';
  return '--public-key';
}

/**
 * The GP integration approval for the scopes about to be saved: needed when
 * gp_integration_credentials is granted anew (`alreadyApproved` false), and
 * recorded with the operator's name whenever a reference is given.
 */
export function gpApprovalFrom(
  p: Parsed,
  scopes: readonly string[],
  alreadyApproved: boolean,
  operator: string,
): SupplierApproval | undefined {
  const reference = str(p, 'gp-integration-approval');
  if (reference !== undefined && !scopes.includes(GP_INTEGRATION_SCOPE)) {
    throw new UsageError(
      `--gp-integration-approval goes with the ${GP_INTEGRATION_SCOPE} scope, which this supplier is not given`,
    );
  }
  const checked = checkGpIntegrationApproval(scopes, { alreadyApproved, reference });
  if (!checked.ok) throw new CommandFailed(`--gp-integration-approval: ${checked.error}`);
  return checked.value
    ? { reference: checked.value, by: `cli:${operator}`, at: new Date().toISOString() }
    : undefined;
}

/** Fetches a --jwks-uri once and checks its keys, naming the flag when they will not do. */
export async function checkJwksFlag(url: string): Promise<void> {
  if (!checkRedirectUris([url]).ok) return; // saveSupplier names what is wrong with the URL itself
  const checked = await checkJwksUrl(url);
  if (!checked.ok) throw new CommandFailed(`--jwks-uri ${url}: ${checked.error}`);
}
