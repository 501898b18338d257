// `keys rotate` and `keys list`: the provider's own signing keys.
import { AUDIT_EVENTS } from '../../audit/events.js';
import { rotateSigningKeys } from '../../oidc/signing-keys.js';
import { command, parseFlags } from '../args.js';
import { EXIT_OK, operatorName } from '../context.js';
import { table } from '../table.js';

export const keysRotate = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  const before = await ctx.db.selectFrom('signing_keys').select(['kid', 'status']).execute();
  const { kid, retired } = await rotateSigningKeys(ctx.db, ctx.sealer);
  const previous = before.filter((k) => k.status === 'active').map((k) => k.kid);
  const stillPublished = before
    .filter((k) => k.status === 'active' || (k.status === 'published' && !retired.includes(k.kid)))
    .map((k) => k.kid);
  await ctx.audit.record({
    code: AUDIT_EVENTS.SIGNING_KEY_ROTATED,
    details: { operator: operatorName(ctx), kid, previous, retired },
  });
  ctx.out(`New signing key: ${kid} (active: signs from now on)`);
  ctx.out(
    stillPublished.length
      ? `Still published, to verify tokens already issued: ${stillPublished.join(', ')}`
      : 'No earlier key was published.',
  );
  ctx.out(
    retired.length
      ? `Retired (removed from the JWKS): ${retired.join(', ')}`
      : 'Retired: none (a key stays published for 2 hours after it stops signing).',
  );
  ctx.out(
    'Running instances (on a PostgreSQL server) switch to it within 30 seconds; a stopped embedded service uses it when started.',
  );
  return EXIT_OK;
});

export const keysList = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  // Never the private key: only these columns are read.
  const keys = await ctx.db
    .selectFrom('signing_keys')
    .select(['kid', 'status', 'created_at', 'superseded_at'])
    .orderBy('created_at', 'desc')
    .execute();
  if (!keys.length) {
    ctx.out('No signing keys yet: the service makes one on first start (or run `keys rotate`).');
    return EXIT_OK;
  }
  const when = (d: Date | null) => (d ? new Date(d).toISOString().replace(/\.\d+Z$/, 'Z') : '-');
  const rows = keys.map((k) => [k.kid, k.status, when(k.created_at), when(k.superseded_at)]);
  for (const line of table(['KID', 'STATUS', 'CREATED', 'SUPERSEDED'], rows)) ctx.out(line);
  ctx.out('');
  ctx.out(
    'active signs; published is in the JWKS to verify tokens already issued; retired is gone from the JWKS.',
  );
  return EXIT_OK;
});
