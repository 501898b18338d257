// The development notifier: instead of sending, it stores each rendered
// message in the `outbox` table, where `npm run outbox`, the dev-only page
// and tests can read the "emails" and "texts" (and the codes in them).
// Not for production: config refuses to start production without Notify.
import type { Db } from '../../store/db.js';
import { renderMessage, type RenderOptions } from './messages.js';
import type { Message, Notifier } from './port.js';

export interface OutboxMessage {
  id: number;
  createdAt: Date;
  channel: 'email' | 'sms';
  recipient: string;
  /** '' for text messages. */
  subject: string;
  body: string;
}

export interface ReadOutboxOptions {
  /** Only messages to this email address or phone number (case-insensitive). */
  recipient?: string | undefined;
  /** At most this many; 50 when not given. */
  limit?: number | undefined;
}

export const DEFAULT_OUTBOX_LIMIT = 50;

export function createOutboxNotifier(db: Db, options: RenderOptions = {}): Notifier {
  return {
    async send(message: Message): Promise<void> {
      const rendered = renderMessage(message, options);
      await db
        .insertInto('outbox')
        .values({
          channel: rendered.channel,
          recipient: rendered.recipient,
          subject: rendered.subject,
          body: rendered.body,
        })
        .execute();
    },
  };
}

/** Messages in the outbox, newest first. */
export async function readOutbox(db: Db, options: ReadOutboxOptions = {}): Promise<OutboxMessage[]> {
  const limit = options.limit ?? DEFAULT_OUTBOX_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive whole number');
  let query = db.selectFrom('outbox').selectAll().orderBy('id', 'desc').limit(limit);
  const recipient = options.recipient;
  if (recipient !== undefined) {
    // lower(recipient) = $1: email addresses are matched case-insensitively.
    query = query.where((eb) => eb(eb.fn('lower', ['recipient']), '=', recipient.toLowerCase()));
  }
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    createdAt: new Date(r.created_at),
    channel: r.channel,
    recipient: r.recipient,
    subject: r.subject,
    body: r.body,
  }));
}

const SIX_DIGITS = /(?<!\d)(\d{6})(?!\d)/;

/**
 * The 6-digit code in the newest message to this recipient, or undefined when
 * there is no message or the newest one carries no code (for example the
 * "you already have an NHS login" email).
 */
export async function latestCode(db: Db, recipient: string): Promise<string | undefined> {
  const [newest] = await readOutbox(db, { recipient, limit: 1 });
  if (!newest) return undefined;
  return SIX_DIGITS.exec(newest.body)?.[1];
}
