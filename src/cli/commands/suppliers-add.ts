// `suppliers add`: registers a new supplier. An existing client id is
// refused; `suppliers change` is the way to alter one.
import { AUDIT_EVENTS } from '../../audit/events.js';
import {
  describeRegistration,
  findSupplier,
  listSuppliers,
  saveSupplier,
  type SupplierInput,
} from '../../store/suppliers.js';
import { CommandFailed, command, flag, list, parseFlags, str, UsageError } from '../args.js';
import { DEFAULT_ISSUER, EXIT_OK, operatorName, type CliContext } from '../context.js';
import {
  ADD_FLAGS,
  checkJwksFlag,
  flagAtFault,
  gpApprovalFrom,
  readPublicKeys,
  scopesFrom,
  values,
} from './supplier-flags.js';
import { describeSupplier, openidClientSnippet } from './supplier-output.js';

export const suppliersAdd = command(async (ctx, args) => {
  const p = parseFlags(args, ADD_FLAGS, { min: 0, max: 0, names: '' });
  const clientId = str(p, 'client-id');
  if (!clientId) throw new UsageError('--client-id is required');
  const name = str(p, 'name');
  if (name === undefined) throw new UsageError('--name is required');
  const keyPaths = list(p, 'public-key');
  const jwksUri = str(p, 'jwks-uri');
  if (keyPaths.length && jwksUri) throw new UsageError('Give --public-key or --jwks-uri, not both');
  if (!keyPaths.length && !jwksUri)
    throw new UsageError('--public-key FILE.pem (or --jwks-uri URL) is required');
  const redirectUris = list(p, 'redirect-uri');
  if (!redirectUris.length) throw new UsageError('--redirect-uri is required (at least one)');
  const scopes = scopesFrom(p);
  if (!scopes.length) throw new UsageError('--scope is required (at least --scope openid)');
  if (flag(p, 'users-api') && flag(p, 'no-users-api'))
    throw new UsageError('Give --users-api or --no-users-api, not both');

  if (await findSupplier(ctx.db, clientId)) {
    throw new CommandFailed(
      `--client-id: a supplier with client id ${clientId} already exists. Use \`suppliers change ${clientId}\` to change it.`,
    );
  }

  const gpApproval = gpApprovalFrom(p, scopes, false, operatorName(ctx));
  if (jwksUri) await checkJwksFlag(jwksUri);

  const backchannel = str(p, 'backchannel-logout-uri');
  const input: SupplierInput = {
    clientId,
    name,
    redirectUris,
    scopes,
    ...(jwksUri ? { jwksUri } : { publicKeysPem: await readPublicKeys(keyPaths) }),
    ...(list(p, 'vtr').length ? { allowedVectors: values(p, 'vtr') } : {}),
    ssoPartners: values(p, 'sso-partner'),
    clientAssertionAlgs: values(p, 'assertion-alg'),
    postLogoutRedirectUris: values(p, 'post-logout-redirect-uri'),
    ...(backchannel ? { backchannelLogoutUri: backchannel } : {}),
    sandpit: flag(p, 'sandpit'),
    usersApi: flag(p, 'users-api'),
    ...(str(p, 'provisioning') ? { provisioningOdsCode: str(p, 'provisioning') } : {}),
    ...(gpApproval ? { gpIntegrationApproval: gpApproval } : {}),
  };
  const saved = await saveSupplier(ctx.db, input, { create: true });
  if (!saved.ok) throw new CommandFailed(`${flagAtFault(input, saved.error)}: ${saved.error}`);
  const s = saved.value;

  await ctx.audit.record({
    code: AUDIT_EVENTS.SUPPLIER_REGISTERED,
    clientId,
    details: { operator: operatorName(ctx), ...(await describeRegistration(s)) },
  });

  ctx.out(`Registered supplier ${clientId}:`);
  for (const line of await describeSupplier(s)) ctx.out(line);
  await warnUnknownPartners(ctx, s.metadata.sso_partners);
  ctx.out('');
  ctx.out('Give the supplier these settings (openid-client v6):');
  ctx.out('');
  for (const line of openidClientSnippet(s, ctx.issuer ?? DEFAULT_ISSUER)) ctx.out(`  ${line}`);
  return EXIT_OK;
});

/** Partners may be registered later, so an unknown one is only a warning. */
export async function warnUnknownPartners(ctx: CliContext, partners: string[]): Promise<void> {
  if (!partners.length) return;
  const known = new Set((await listSuppliers(ctx.db)).map((s) => s.client_id));
  for (const partner of partners.filter((x) => !known.has(x))) {
    ctx.err(`Note: --sso-partner ${partner} is not a registered supplier (yet).`);
  }
}
