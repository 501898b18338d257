// `suppliers change ID [flags]`: each flag given replaces that value; the
// rest stay as stored. Redirect URIs can also be added or removed one by one.
import { AUDIT_EVENTS } from '../../audit/events.js';
import type { Supplier } from '../../store/schema.js';
import { findSupplier, saveSupplier, supplierToInput } from '../../store/suppliers.js';
import { CommandFailed, command, flag, given, list, parseFlags, str, UsageError } from '../args.js';
import { EXIT_OK, operatorName } from '../context.js';
import { warnUnknownPartners } from './suppliers-add.js';
import { CHANGE_FLAGS, flagAtFault, readPublicKeys, scopesFrom, values } from './supplier-flags.js';
import { describeSupplier, keyThumbprints } from './supplier-output.js';

export const suppliersChange = command(async (ctx, args) => {
  const p = parseFlags(args, CHANGE_FLAGS, {
    min: 1,
    max: 1,
    names: 'the client id: suppliers change ID [flags]',
  });
  const clientId = p.positionals[0] ?? '';
  if (!Object.values(p.values).some((v) => v !== undefined)) {
    throw new UsageError(`Nothing to change: give at least one flag (for example --redirect-uri URI)`);
  }
  if (given(p, 'public-key') && given(p, 'jwks-uri'))
    throw new UsageError('Give --public-key or --jwks-uri, not both');
  if (flag(p, 'sandpit') && flag(p, 'no-sandpit'))
    throw new UsageError('Give --sandpit or --no-sandpit, not both');
  if (flag(p, 'users-api') && flag(p, 'no-users-api'))
    throw new UsageError('Give --users-api or --no-users-api, not both');

  const existing = await findSupplier(ctx.db, clientId);
  if (!existing) throw new CommandFailed(`No supplier has client id ${clientId}`);
  const input = supplierToInput(existing);

  const name = str(p, 'name');
  if (name !== undefined) input.name = name;

  if (given(p, 'public-key')) {
    input.publicKeysPem = await readPublicKeys(values(p, 'public-key'));
    if (!input.publicKeysPem.length) throw new UsageError('--public-key needs a file');
    delete input.jwksUri;
    delete input.jwks;
  }
  const jwksUri = str(p, 'jwks-uri');
  if (jwksUri !== undefined) {
    input.jwksUri = jwksUri;
    delete input.jwks;
    delete input.publicKeysPem;
  }

  if (given(p, 'redirect-uri')) input.redirectUris = values(p, 'redirect-uri');
  for (const uri of list(p, 'add-redirect-uri')) {
    if (input.redirectUris.includes(uri))
      throw new CommandFailed(`--add-redirect-uri: ${uri} is already registered`);
    input.redirectUris = [...input.redirectUris, uri];
  }
  for (const uri of list(p, 'remove-redirect-uri')) {
    if (!input.redirectUris.includes(uri))
      throw new CommandFailed(`--remove-redirect-uri: ${uri} is not registered`);
    input.redirectUris = input.redirectUris.filter((u) => u !== uri);
  }

  if (given(p, 'scope') || given(p, 'scopes')) input.scopes = scopesFrom(p);
  if (given(p, 'vtr')) input.allowedVectors = values(p, 'vtr');
  if (given(p, 'sso-partner')) input.ssoPartners = values(p, 'sso-partner');
  if (given(p, 'assertion-alg')) input.clientAssertionAlgs = values(p, 'assertion-alg');
  if (given(p, 'post-logout-redirect-uri'))
    input.postLogoutRedirectUris = values(p, 'post-logout-redirect-uri');
  const backchannel = str(p, 'backchannel-logout-uri');
  if (backchannel === '') delete input.backchannelLogoutUri;
  else if (backchannel !== undefined) input.backchannelLogoutUri = backchannel;
  if (flag(p, 'sandpit')) input.sandpit = true;
  if (flag(p, 'no-sandpit')) input.sandpit = false;
  if (flag(p, 'users-api')) input.usersApi = true;
  if (flag(p, 'no-users-api')) input.usersApi = false;

  const redirectFlags = ['redirect-uri', 'add-redirect-uri', 'remove-redirect-uri']
    .filter((f) => given(p, f))
    .map((f) => `--${f}`)
    .join(' / ');
  const saved = await saveSupplier(ctx.db, input);
  if (!saved.ok)
    throw new CommandFailed(
      `${flagAtFault(input, saved.error, redirectFlags || 'redirect URIs')}: ${saved.error}`,
    );
  const s = saved.value;

  const changed = changedFields(existing, s);
  if (!changed.length) {
    ctx.out(`Nothing changed: supplier ${clientId} already had those values.`);
    return EXIT_OK;
  }
  const after: Record<string, unknown> = {};
  for (const field of changed) {
    after[field] =
      field === 'name'
        ? s.name
        : field === 'jwks'
          ? await keyThumbprints(s)
          : s.metadata[field as keyof Supplier['metadata']];
  }
  await ctx.audit.record({
    code: AUDIT_EVENTS.SUPPLIER_CHANGED,
    clientId,
    details: { operator: operatorName(ctx), changed, after },
  });

  ctx.out(`Changed ${changed.join(', ')} of supplier ${clientId}:`);
  for (const line of await describeSupplier(s)) ctx.out(line);
  await warnUnknownPartners(ctx, s.metadata.sso_partners);
  return EXIT_OK;
});

/** The names of the fields whose stored value differs (metadata keys, and `name`). */
export function changedFields(before: Supplier, after: Supplier): string[] {
  const fields: string[] = before.name === after.name ? [] : ['name'];
  const a = before.metadata as unknown as Record<string, unknown>;
  const b = after.metadata as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) fields.push(key);
  }
  return fields;
}
