// `people`: the seeded test people, and the password they share.
import { findAccountByEmail } from '../../store/accounts.js';
import { command, parseFlags } from '../args.js';
import { EXIT_OK } from '../context.js';
import { TEST_PASSWORD, TEST_PEOPLE } from '../seed.js';
import { table } from '../table.js';

export const people = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  const rows: string[][] = [];
  let missing = 0;
  for (const person of TEST_PEOPLE) {
    const seeded = (await findAccountByEmail(ctx.db, person.email)) !== undefined;
    if (!seeded) missing++;
    rows.push([person.level, person.email, person.nhsNumber ?? '-', person.phone, seeded ? 'yes' : 'no']);
  }
  for (const line of table(['LEVEL', 'EMAIL', 'NHS NUMBER', 'PHONE', 'SEEDED'], rows)) ctx.out(line);
  ctx.out('');
  ctx.out(`Password for all of them: ${TEST_PASSWORD}`);
  ctx.out('Text-message codes go to the outbox (`npm run outbox`).');
  if (missing) ctx.out('Some are not in this database yet: run `npm run cli seed`.');
  return EXIT_OK;
});
