// `suppliers remove ID`: deletes the supplier with its grants, codes and tokens.
import { AUDIT_EVENTS } from '../../audit/events.js';
import { findSupplier, removeSupplier } from '../../store/suppliers.js';
import { CommandFailed, command, parseFlags } from '../args.js';
import { EXIT_OK, operatorName } from '../context.js';

export const suppliersRemove = command(async (ctx, args) => {
  const p = parseFlags(args, {}, { min: 1, max: 1, names: 'the client id: suppliers remove ID' });
  const clientId = p.positionals[0] ?? '';
  const existing = await findSupplier(ctx.db, clientId);
  if (!existing || !(await removeSupplier(ctx.db, clientId))) {
    throw new CommandFailed(`No supplier has client id ${clientId}`);
  }
  await ctx.audit.record({
    code: AUDIT_EVENTS.SUPPLIER_REMOVED,
    clientId,
    details: { operator: operatorName(ctx), name: existing.name },
  });
  ctx.out(`Removed supplier ${clientId} (${existing.name}), with its grants, codes and tokens.`);
  return EXIT_OK;
});
