// `suppliers show ID`: the stored metadata as JSON.
import { findSupplier } from '../../store/suppliers.js';
import { CommandFailed, command, parseFlags } from '../args.js';
import { EXIT_OK } from '../context.js';

export const suppliersShow = command(async (ctx, args) => {
  const p = parseFlags(args, {}, { min: 1, max: 1, names: 'the client id: suppliers show ID' });
  const clientId = p.positionals[0] ?? '';
  const s = await findSupplier(ctx.db, clientId);
  if (!s) throw new CommandFailed(`No supplier has client id ${clientId}`);
  const shown = {
    client_id: s.client_id,
    name: s.name,
    created_at: new Date(s.created_at).toISOString(),
    updated_at: new Date(s.updated_at).toISOString(),
    metadata: s.metadata,
  };
  for (const line of JSON.stringify(shown, null, 2).split('\n')) ctx.out(line);
  return EXIT_OK;
});
