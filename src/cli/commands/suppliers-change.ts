// `suppliers change ID [flags]`: each flag given replaces that value; the
// rest stay as stored. Redirect URIs can also be added or removed one by one.
// `--suspend --reason TEXT` and `--resume --reason TEXT` (on their own)
// suspend a supplier (the provider then treats it as unknown) and resume it.
import { AUDIT_EVENTS } from '../../audit/events.js';
import { GP_INTEGRATION_SCOPE, MAX_SUSPENSION_REASON } from '../../domain/supplier-registration.js';
import {
  describeChange,
  findSupplier,
  saveSupplier,
  setSupplierSuspension,
  supplierToInput,
} from '../../store/suppliers.js';
import {
  CommandFailed,
  command,
  flag,
  given,
  list,
  parseFlags,
  str,
  UsageError,
  type Parsed,
} from '../args.js';
import { EXIT_OK, operatorName, type CliContext } from '../context.js';
import { warnUnknownPartners } from './suppliers-add.js';
import {
  CHANGE_FLAGS,
  checkJwksFlag,
  flagAtFault,
  gpApprovalFrom,
  readPublicKeys,
  scopesFrom,
  values,
} from './supplier-flags.js';
import { describeSupplier } from './supplier-output.js';

export { changedFields } from '../../store/suppliers.js';

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
  if (given(p, 'provisioning') && flag(p, 'no-provisioning'))
    throw new UsageError('Give --provisioning or --no-provisioning, not both');
  if (flag(p, 'suspend') || flag(p, 'resume')) return suspendOrResume(ctx, p, clientId);
  if (given(p, 'reason')) throw new UsageError('--reason goes with --suspend or --resume');

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
  const provisioning = str(p, 'provisioning');
  if (provisioning !== undefined) input.provisioningOdsCode = provisioning;
  if (flag(p, 'no-provisioning')) delete input.provisioningOdsCode;
  const alreadyApproved = existing.metadata.scope.split(' ').includes(GP_INTEGRATION_SCOPE);
  const gpApproval = gpApprovalFrom(p, input.scopes, alreadyApproved, operatorName(ctx));
  if (gpApproval) input.gpIntegrationApproval = gpApproval;
  if (jwksUri) await checkJwksFlag(jwksUri);

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

  const { changed, before, after } = await describeChange(existing, s);
  if (!changed.length) {
    ctx.out(`Nothing changed: supplier ${clientId} already had those values.`);
    return EXIT_OK;
  }
  await ctx.audit.record({
    code: AUDIT_EVENTS.SUPPLIER_CHANGED,
    clientId,
    details: { operator: operatorName(ctx), changed, before, after },
  });

  ctx.out(`Changed ${changed.join(', ')} of supplier ${clientId}:`);
  for (const line of await describeSupplier(s)) ctx.out(line);
  await warnUnknownPartners(ctx, s.metadata.sso_partners);
  return EXIT_OK;
});

/** --suspend or --resume, with the reason and nothing else. */
async function suspendOrResume(ctx: CliContext, p: Parsed, clientId: string): Promise<number> {
  const suspend = flag(p, 'suspend');
  if (suspend && flag(p, 'resume')) throw new UsageError('Give --suspend or --resume, not both');
  const others = Object.entries(p.values).filter(
    ([k, v]) => v !== undefined && !['suspend', 'resume', 'reason'].includes(k),
  );
  if (others.length) {
    throw new UsageError(
      `Give --${suspend ? 'suspend' : 'resume'} on its own (with --reason), not with --${others[0]?.[0]}`,
    );
  }
  const reason = str(p, 'reason')?.trim();
  if (!reason) throw new UsageError(`--${suspend ? 'suspend' : 'resume'} needs --reason TEXT: say why`);
  if (reason.length > MAX_SUSPENSION_REASON)
    throw new UsageError(`--reason must be ${MAX_SUSPENSION_REASON} characters or fewer`);
  const existing = await findSupplier(ctx.db, clientId);
  if (!existing) throw new CommandFailed(`No supplier has client id ${clientId}`);
  const operator = operatorName(ctx);
  const changed = await setSupplierSuspension(
    ctx.db,
    clientId,
    suspend ? { reason, by: `cli:${operator}`, at: new Date().toISOString() } : null,
  );
  if (!changed) {
    ctx.out(`Nothing changed: supplier ${clientId} is already ${suspend ? 'suspended' : 'active'}.`);
    return EXIT_OK;
  }
  await ctx.audit.record({
    code: suspend ? AUDIT_EVENTS.SUPPLIER_SUSPENDED : AUDIT_EVENTS.SUPPLIER_RESUMED,
    clientId,
    details: { operator, reason },
  });
  ctx.out(
    suspend
      ? `Suspended supplier ${clientId}: it gets invalid_client until resumed (suppliers change ${clientId} --resume --reason TEXT).`
      : `Resumed supplier ${clientId}: it can sign people in again.`,
  );
  return EXIT_OK;
}
