// `suppliers list`: one line per supplier, with whether it is suspended or a sandpit.
import { listSuppliers } from '../../store/suppliers.js';
import { command, parseFlags } from '../args.js';
import { EXIT_OK } from '../context.js';
import { table } from '../table.js';

export const suppliersList = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  const suppliers = await listSuppliers(ctx.db);
  if (!suppliers.length) {
    ctx.out('No suppliers registered. Add one with `suppliers add` (see `npm run cli help`).');
    return EXIT_OK;
  }
  const rows = suppliers.map((s) => [
    s.client_id,
    s.name,
    String(s.metadata.redirect_uris.length),
    s.metadata.scope,
    [s.metadata.suspended ? 'suspended' : 'active', ...(s.metadata.sandpit ? ['sandpit'] : [])].join(', '),
  ]);
  for (const line of table(['CLIENT ID', 'NAME', 'REDIRECT URIS', 'SCOPES', 'STATUS'], rows)) ctx.out(line);
  return EXIT_OK;
});
