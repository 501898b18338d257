// `migrate`: applies pending migrations and says which ran.
import { migrate as applyMigrations } from '../../store/db.js';
import { command, parseFlags } from '../args.js';
import { EXIT_OK } from '../context.js';

export const migrate = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  const ran = await applyMigrations(ctx.db);
  if (!ran.length) ctx.out('The database is up to date: no migrations to apply.');
  else for (const name of ran) ctx.out(`Applied migration ${name}`);
  return EXIT_OK;
});
