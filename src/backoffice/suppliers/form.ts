// The supplier form of the back office (register and change): what the
// operator entered, read from the request, checked field by field with the
// registration rules (domain/supplier-registration.ts, the same the CLI
// uses) so every problem is shown beside its field at once, and turned into
// a SupplierInput for the store.
import type { FastifyRequest } from 'fastify';
import { SCOPE_CLAIMS, ALL_SCOPES } from '../../domain/claims.js';
import {
  DEFAULT_ALLOWED_VECTORS,
  EXTRA_ASSERTION_ALGS,
  GP_INTEGRATION_SCOPE,
  MAX_APPROVAL_REFERENCE,
  checkAllowedVectors,
  checkAssertionAlgs,
  checkClientId,
  checkGpIntegrationApproval,
  checkRedirectUris,
  checkScopes,
  looksLikeClientId,
} from '../../domain/supplier-registration.js';
import { PROOFING_LEVELS } from '../../domain/vectors-of-trust.js';
import { checkJwksUrl, pemBlocks, publicKeyToJwk } from '../../oidc/clients.js';
import type { Db } from '../../store/db.js';
import type { Supplier } from '../../store/schema.js';
import {
  buildSupplierMetadata,
  findSupplier,
  supplierToInput,
  type SupplierInput,
} from '../../store/suppliers.js';
import { fields, many, type Fields } from '../kit.js';

export type FormMode = 'new' | 'change';

/** Everything the form holds, as entered: a form with errors is shown again with these. */
export interface SupplierFormValues {
  clientId: string;
  name: string;
  redirectUris: string;
  scopes: string[];
  gpApproval: boolean;
  gpApprovalReference: string;
  vectors: string[];
  /** How the keys are given: keep (change only), pem or jwks. */
  keys: string;
  publicKeyPem: string;
  jwksUri: string;
  assertionAlgs: string[];
  ssoPartners: string;
  sandpit: boolean;
  usersApi: boolean;
  postLogoutRedirectUris: string;
  backchannelLogoutUri: string;
}

const MAX_NAME = 100;
const MAX_KEYS = 5;
const MAX_PEM_TEXT = 20_000;

/** Every vector of trust a supplier may be allowed, strongest level first. */
export const ALL_VECTORS: readonly string[] = [...PROOFING_LEVELS]
  .reverse()
  .flatMap((level) => ['Cp.Cd', 'Cp.Ck', 'Cm', 'Cp'].map((c) => `${level}.${c}`));

const lines = (text: string) =>
  text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean);

export function newSupplierValues(): SupplierFormValues {
  return {
    clientId: '',
    name: '',
    redirectUris: '',
    scopes: ['openid'],
    gpApproval: false,
    gpApprovalReference: '',
    vectors: [...DEFAULT_ALLOWED_VECTORS],
    keys: '',
    publicKeyPem: '',
    jwksUri: '',
    assertionAlgs: [],
    ssoPartners: '',
    sandpit: false,
    usersApi: false,
    postLogoutRedirectUris: '',
    backchannelLogoutUri: '',
  };
}

/** The change form, filled in with the supplier as stored. */
export function supplierValues(s: Supplier): SupplierFormValues {
  const m = s.metadata;
  return {
    clientId: s.client_id,
    name: s.name,
    redirectUris: m.redirect_uris.join('\n'),
    scopes: m.scope.split(' '),
    gpApproval: false,
    gpApprovalReference: '',
    vectors: [...m.allowed_vtr],
    keys: 'keep',
    publicKeyPem: '',
    jwksUri: '',
    assertionAlgs: [...m.client_assertion_algs],
    ssoPartners: m.sso_partners.join('\n'),
    sandpit: m.sandpit ?? false,
    usersApi: m.users_api ?? false,
    postLogoutRedirectUris: (m.post_logout_redirect_uris ?? []).join('\n'),
    backchannelLogoutUri: m.backchannel_logout_uri ?? '',
  };
}

export function submittedValues(request: FastifyRequest, mode: FormMode, clientId = ''): SupplierFormValues {
  const f = fields(request);
  return {
    clientId: mode === 'new' ? (f.clientId ?? '').trim() : clientId,
    name: f.name ?? '',
    redirectUris: f.redirectUris ?? '',
    scopes: many(request, 'scopes'),
    gpApproval: f.gpApproval === 'yes',
    gpApprovalReference: f.gpApprovalReference ?? '',
    vectors: many(request, 'vectors'),
    keys: f.keys ?? '',
    publicKeyPem: f.publicKeyPem ?? '',
    jwksUri: (f.jwksUri ?? '').trim(),
    assertionAlgs: many(request, 'assertionAlgs'),
    ssoPartners: f.ssoPartners ?? '',
    sandpit: f.sandpit === 'yes',
    usersApi: f.usersApi === 'yes',
    postLogoutRedirectUris: f.postLogoutRedirectUris ?? '',
    backchannelLogoutUri: (f.backchannelLogoutUri ?? '').trim(),
  };
}

/** "https://x/cb?y: query strings..." reads better as "Redirect URI https://x/cb?y: query strings...". */
function uriError(label: string, uris: string[], error: string): string {
  return uris.some((u) => error.startsWith(`${u}:`) || error.startsWith(`${u} is`))
    ? `${label} ${error}`
    : error;
}

export interface FormOptions {
  db: Db;
  mode: FormMode;
  /** The supplier being changed. */
  existing?: Supplier | undefined;
  /** Who is recording a GP integration approval (their staff id). */
  staffId: string;
  /** How a JWKS URL is fetched for its check (tests may pass their own). */
  fetchJwks?: typeof fetch;
}

export type FormResult =
  { ok: true; input: SupplierInput } | { ok: false; errors: Fields; values: SupplierFormValues };

/**
 * Checks every field and answers the SupplierInput to save, or the errors
 * (in the order the fields appear, each keyed by its field's id). A pasted
 * private key is never shown back.
 */
export async function checkSupplierForm(
  values: SupplierFormValues,
  options: FormOptions,
): Promise<FormResult> {
  const { existing, mode } = options;
  const errors: Fields = {};

  if (mode === 'new') {
    const id = checkClientId(values.clientId);
    if (!values.clientId) errors.clientId = 'Enter a client ID';
    else if (!looksLikeClientId(values.clientId))
      errors.clientId =
        'Client ID must be 1 to 100 letters, numbers, dots, hyphens or underscores, starting with a letter or number';
    else if (!id.ok) errors.clientId = `Client ID ${values.clientId} is reserved: choose another`;
    else if (await findSupplier(options.db, values.clientId))
      errors.clientId = `A supplier with client ID ${values.clientId} already exists`;
  }

  const name = values.name.trim();
  if (!name) errors.name = 'Enter the name of the service, as people will see it';
  else if (name.length > MAX_NAME) errors.name = `Name must be ${MAX_NAME} characters or fewer`;

  const redirectUris = lines(values.redirectUris);
  if (!redirectUris.length) errors.redirectUris = 'Enter at least one redirect URI, one on each line';
  else {
    const checked = checkRedirectUris(redirectUris);
    if (!checked.ok) errors.redirectUris = uriError('Redirect URI', redirectUris, checked.error);
  }

  const scopes = values.scopes;
  if (!scopes.length) errors.scopes = 'Select the scopes this supplier is approved for, including openid';
  else {
    const checked = checkScopes(scopes);
    if (!checked.ok)
      errors.scopes = scopes.includes('openid') ? checked.error : 'Select openid: every supplier needs it';
  }

  // gp_integration_credentials: a separate, recorded approval when the scope is granted anew,
  // or when the operator records a new reference for a supplier that has it.
  const alreadyApproved = existing?.metadata.scope.split(' ').includes(GP_INTEGRATION_SCOPE) ?? false;
  const reference = values.gpApprovalReference.trim();
  let approval: string | undefined;
  if (scopes.includes(GP_INTEGRATION_SCOPE) && (!alreadyApproved || values.gpApproval || reference)) {
    if (!values.gpApproval)
      errors.gpApproval = `Confirm that this supplier has GP integration (IM1 pairing) approval for ${GP_INTEGRATION_SCOPE}`;
    if (!reference) errors.gpApprovalReference = 'Enter the reference of the GP integration approval';
    else if (reference.length > MAX_APPROVAL_REFERENCE)
      errors.gpApprovalReference = `The approval reference must be ${MAX_APPROVAL_REFERENCE} characters or fewer`;
    const checked = checkGpIntegrationApproval(scopes, { alreadyApproved: false, reference });
    if (checked.ok && values.gpApproval) approval = checked.value;
  }

  if (!values.vectors.length) errors.vectors = 'Select at least one vector of trust';
  else {
    const checked = checkAllowedVectors(values.vectors);
    if (!checked.ok) errors.vectors = checked.error;
  }

  const keyChoices = mode === 'new' ? ['pem', 'jwks'] : ['keep', 'pem', 'jwks'];
  const pems: string[] = [];
  const keyTypes: string[] = [];
  if (!keyChoices.includes(values.keys)) errors.keys = "Select how the supplier's public keys are given";
  else if (values.keys === 'pem') {
    const text = values.publicKeyPem;
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      errors.publicKeyPem =
        'This is a private key: paste the public key only. The supplier should make a new key pair, as this one is no longer secret';
      values.publicKeyPem = '';
    } else if (!text.trim()) errors.publicKeyPem = "Paste the supplier's public key (PEM)";
    else if (text.length > MAX_PEM_TEXT) errors.publicKeyPem = 'The keys pasted are too long';
    else {
      const blocks = pemBlocks(text);
      if (!blocks.length)
        errors.publicKeyPem =
          'Paste the public key in PEM format, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----';
      else if (blocks.length > MAX_KEYS) errors.publicKeyPem = `Paste at most ${MAX_KEYS} keys`;
      for (const [i, block] of blocks.entries()) {
        const jwk = publicKeyToJwk(block);
        if (!jwk.ok) {
          errors.publicKeyPem ??= blocks.length > 1 ? `Key ${i + 1}: ${jwk.error}` : jwk.error;
        } else {
          pems.push(block);
          keyTypes.push(String(jwk.value.kty));
        }
      }
    }
  } else if (values.keys === 'jwks') {
    if (!values.jwksUri) errors.jwksUri = "Enter the URL of the supplier's JWKS";
    else {
      const checked = checkRedirectUris([values.jwksUri]);
      if (!checked.ok) errors.jwksUri = uriError('JWKS URL', [values.jwksUri], checked.error);
      else {
        const fetched = await checkJwksUrl(values.jwksUri, options.fetchJwks);
        if (!fetched.ok) errors.jwksUri = fetched.error;
      }
    }
  }

  const algs = checkAssertionAlgs(values.assertionAlgs);
  if (!algs.ok) errors.assertionAlgs = algs.error;
  else if (keyTypes.includes('EC') && !values.assertionAlgs.includes('ES256')) {
    errors.publicKeyPem ??=
      'An EC P-256 key can only be used with ES256 assertions: select ES256 below, or paste an RSA key of 2048 bits or more';
  }

  const partners = values.ssoPartners.split(/[\s,]+/).filter(Boolean);
  const notId = partners.find((p) => !looksLikeClientId(p));
  if (notId !== undefined) errors.ssoPartners = `${notId} is not a client ID`;
  else if (partners.includes(values.clientId))
    errors.ssoPartners = 'A supplier cannot be its own single sign-on partner';

  const postLogout = lines(values.postLogoutRedirectUris);
  if (postLogout.length) {
    const checked = checkRedirectUris(postLogout);
    if (!checked.ok)
      errors.postLogoutRedirectUris = uriError('Post-logout redirect URI', postLogout, checked.error);
  }

  if (values.backchannelLogoutUri) {
    const checked = checkRedirectUris([values.backchannelLogoutUri]);
    if (!checked.ok)
      errors.backchannelLogoutUri = uriError(
        'Back-channel logout URI',
        [values.backchannelLogoutUri],
        checked.error,
      );
  }

  if (Object.keys(errors).length) return { ok: false, errors, values };

  const input: SupplierInput = existing
    ? supplierToInput(existing)
    : { clientId: values.clientId, name, redirectUris: [], scopes: [] };
  input.name = name;
  input.redirectUris = redirectUris;
  input.scopes = [...new Set(scopes)];
  input.allowedVectors = values.vectors;
  input.clientAssertionAlgs = values.assertionAlgs;
  input.ssoPartners = [...new Set(partners)];
  input.postLogoutRedirectUris = postLogout;
  if (values.backchannelLogoutUri) input.backchannelLogoutUri = values.backchannelLogoutUri;
  else delete input.backchannelLogoutUri;
  input.sandpit = values.sandpit;
  input.usersApi = values.usersApi;
  if (values.keys === 'pem') {
    input.publicKeysPem = pems;
    delete input.jwks;
    delete input.jwksUri;
  } else if (values.keys === 'jwks') {
    input.jwksUri = values.jwksUri;
    delete input.jwks;
    delete input.publicKeysPem;
  }
  if (approval) {
    input.gpIntegrationApproval = { reference: approval, by: options.staffId, at: new Date().toISOString() };
  }
  // The same rules once more, on the whole (nothing above should let a problem through).
  const built = buildSupplierMetadata(input);
  if (!built.ok)
    return { ok: false, errors: { [values.keys === 'jwks' ? 'jwksUri' : 'keys']: built.error }, values };
  return { ok: true, input };
}

interface Item {
  value: string;
  text: string;
  checked: boolean;
  hint?: { text: string };
}

const levelText = { P0: 'P0 and above', P5: 'P5 and P9', P9: 'P9 only' } as const;

/** The checkbox and radio items of the form, checked as the values say. */
export function formItems(values: SupplierFormValues, mode: FormMode) {
  const scopes: Item[] = ALL_SCOPES.map((scope) => ({
    value: scope,
    text: scope,
    checked: values.scopes.includes(scope),
    hint: {
      text: `${SCOPE_CLAIMS[scope].claims.join(', ')} (${levelText[SCOPE_CLAIMS[scope].minLevel]})${
        scope === GP_INTEGRATION_SCOPE ? '. Needs the GP integration approval below' : ''
      }`,
    },
  }));
  const vectors: Item[] = ALL_VECTORS.map((v) => ({
    value: v,
    text: v,
    checked: values.vectors.includes(v),
  }));
  const credentialText: Record<string, string> = {
    'Cp.Cd': 'password and a code sent to their phone, or a remembered device',
    'Cp.Ck': 'password and an authenticator app',
    Cm: 'a passkey',
    Cp: 'password only',
  };
  for (const item of vectors) {
    const [level, ...rest] = item.value.split('.');
    item.hint = { text: `${level} identity, ${credentialText[rest.join('.')] ?? ''}` };
  }
  const algs: Item[] = EXTRA_ASSERTION_ALGS.map((a) => ({
    value: a,
    text: a,
    checked: values.assertionAlgs.includes(a),
  }));
  const keyChoices = [
    ...(mode === 'change' ? [{ value: 'keep', text: 'Keep the keys registered now' }] : []),
    { value: 'pem', text: 'Public keys pasted below (PEM)' },
    { value: 'jwks', text: 'A JWKS URL the supplier publishes its keys at' },
  ];
  const keys: Item[] = keyChoices.map((k) => ({ ...k, checked: values.keys === k.value }));
  return { scopes, vectors, algs, keys };
}
