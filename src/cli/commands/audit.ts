// `audit verify`: walks the hash chain of the audit log.
import { sql } from 'kysely';
import { verifyChain } from '../../audit/log.js';
import { command, parseFlags } from '../args.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';

export const auditVerify = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  const broken = await verifyChain(ctx.db);
  if (broken !== undefined) {
    ctx.err(`Audit chain broken at entry ${broken}`);
    return EXIT_FAILED;
  }
  const row = await ctx.db
    .selectFrom('audit_events')
    .select(sql<string>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  ctx.out(`Audit chain intact (${Number(row.n)} entries)`);
  return EXIT_OK;
});
