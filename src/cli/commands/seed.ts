// `seed`: the demo supplier and the test people, now (development only).
import { AUDIT_EVENTS } from '../../audit/events.js';
import { findSupplier } from '../../store/suppliers.js';
import { CommandFailed, command, parseFlags } from '../args.js';
import { EXIT_OK, operatorName } from '../context.js';
import { DEMO_CLIENT_ID, TEST_PEOPLE, seedDemoSupplier, seedTestPeople } from '../seed.js';
import { changedFields } from './suppliers-change.js';

export const DEFAULT_DEMO_SUPPLIER_BASE_URL = 'http://localhost:3001';

export const seed = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  if (ctx.production) {
    throw new CommandFailed(
      'seed is for development only: the demo supplier key is public. Not run in production.',
    );
  }
  const baseUrl = ctx.demoSupplierBaseUrl ?? DEFAULT_DEMO_SUPPLIER_BASE_URL;
  const before = await findSupplier(ctx.db, DEMO_CLIENT_ID);
  await seedDemoSupplier(ctx.db, baseUrl);
  const after = await findSupplier(ctx.db, DEMO_CLIENT_ID);
  if (after && (!before || changedFields(before, after).length)) {
    await ctx.audit.record({
      code: before ? AUDIT_EVENTS.SUPPLIER_CHANGED : AUDIT_EVENTS.SUPPLIER_REGISTERED,
      clientId: DEMO_CLIENT_ID,
      details: { operator: operatorName(ctx), seeded: true, redirect_uris: after.metadata.redirect_uris },
    });
  }
  await seedTestPeople(ctx.db, ctx.sealer);
  ctx.out(`Demo supplier ${DEMO_CLIENT_ID} is registered (redirect URI ${baseUrl}/callback).`);
  ctx.out(
    `Test people: ${TEST_PEOPLE.map((p) => `${p.level} ${p.email}`).join(', ')} (see \`npm run cli people\`).`,
  );
  return EXIT_OK;
});
