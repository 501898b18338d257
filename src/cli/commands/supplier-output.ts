// How a stored supplier is shown to the operator: a readable summary after
// add and change. The openid-client snippet and key thumbprints are shared
// with the back office (oidc/clients.ts).
import { keyThumbprints, openidClientSnippet } from '../../oidc/clients.js';
import type { Supplier } from '../../store/schema.js';

export { keyThumbprints, openidClientSnippet };

export async function describeSupplier(s: Supplier): Promise<string[]> {
  const m = s.metadata;
  const keys = m.jwks_uri
    ? [`  keys:                      fetched from ${m.jwks_uri}`]
    : (await keyThumbprints(s)).map(
        (t, i) => `  ${i === 0 ? 'public keys (thumbprints):' : '                          '} ${t}`,
      );
  const listed = (label: string, items: readonly string[] | undefined) =>
    items?.length
      ? items.map((v, i) => `  ${i === 0 ? label.padEnd(26) : ' '.repeat(26)} ${v}`)
      : [`  ${label.padEnd(26)} (none)`];
  return [
    `  client id:                 ${s.client_id}`,
    `  name:                      ${s.name}`,
    `  status:                    ${supplierStatus(s)}`,
    ...listed('redirect URIs:', m.redirect_uris),
    `  scopes:                    ${m.scope}`,
    ...(m.gp_integration_approval
      ? [`  GP integration approval:   ${m.gp_integration_approval.reference}`]
      : []),
    `  vectors of trust allowed:  ${m.allowed_vtr.join(' ')}`,
    ...keys,
    `  extra assertion algs:      ${m.client_assertion_algs.length ? m.client_assertion_algs.join(' ') : '(none: RS512 only)'}`,
    `  single sign-on partners:   ${m.sso_partners.length ? m.sso_partners.join(' ') : '(none)'}`,
    ...listed('post-logout redirect URIs:', m.post_logout_redirect_uris),
    `  back-channel logout URI:   ${m.backchannel_logout_uri ?? '(none)'}`,
    `  sandpit:                   ${m.sandpit ? 'yes' : 'no'}`,
    `  Users (SCIM) API:          ${m.users_api ? 'approved' : 'no'}`,
    `  Provision Account API:     ${m.provisioning ? `approved for ${m.provisioning.ods_code}` : 'no'}`,
  ];
}

/** "active" or "suspended (reason)". */
export function supplierStatus(s: Supplier): string {
  const suspended = s.metadata.suspended;
  return suspended ? `suspended since ${suspended.at} (${suspended.reason})` : 'active';
}
