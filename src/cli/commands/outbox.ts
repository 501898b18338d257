// `outbox [--to ADDRESS] [--limit N]`: the development outbox, newest first.
import { printOutbox } from '../../adapters/notify/outbox-command.js';
import { DEFAULT_OUTBOX_LIMIT } from '../../adapters/notify/outbox.js';
import { command, parseFlags, positiveInteger, str } from '../args.js';
import { EXIT_OK } from '../context.js';

export const outbox = command(async (ctx, args) => {
  const p = parseFlags(
    args,
    { to: { type: 'string' }, limit: { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  const limitText = str(p, 'limit');
  const limit = limitText === undefined ? DEFAULT_OUTBOX_LIMIT : positiveInteger(limitText, '--limit');
  await printOutbox(ctx.db, { recipient: str(p, 'to'), limit }, ctx.out);
  return EXIT_OK;
});
