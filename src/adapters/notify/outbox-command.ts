// `npm run outbox`: prints the development outbox, newest first, so that a
// person trying the service locally can read the codes they were "sent".
import type { Db } from '../../store/db.js';
import { readOutbox, type OutboxMessage } from './outbox.js';

export interface PrintOutboxOptions {
  recipient?: string | undefined;
  limit: number;
}

/** Writes one line at a time; returns how many messages were printed. */
export async function printOutbox(
  db: Db,
  options: PrintOutboxOptions,
  write: (line: string) => void,
): Promise<number> {
  const messages = await readOutbox(db, { recipient: options.recipient, limit: options.limit });
  if (messages.length === 0) {
    write(options.recipient ? `No messages to ${options.recipient}.` : 'The outbox is empty.');
    return 0;
  }
  messages.forEach((m, i) => {
    if (i > 0) write('');
    for (const line of formatOutboxMessage(m)) write(line);
  });
  return messages.length;
}

/** One message as lines of text: a heading, the subject for emails, then the indented body. */
export function formatOutboxMessage(m: OutboxMessage): string[] {
  const time = m.createdAt
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const kind = m.channel === 'sms' ? 'Text message' : 'Email';
  const lines = [`── #${m.id}  ${time}  ${kind} to ${m.recipient}`];
  if (m.channel === 'email') lines.push(`   Subject: ${m.subject}`);
  lines.push('');
  for (const line of m.body.split('\n')) lines.push(line === '' ? '' : `   ${line}`);
  return lines;
}
