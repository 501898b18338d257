// What every support action asks for: a reason, written down for the audit
// log (the patient is never shown it), and sometimes a confirmation box.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Message } from '../../adapters/notify/port.js';
import type { Fields } from '../kit.js';

export const REASON_MAX_LENGTH = 500;

/** Control characters other than line breaks and tabs are taken out (jsonb cannot hold NUL). */
const CONTROL = /[^\P{Cc}\n\r\t]/gu;

/** The reason typed, tidied; or the message to show beside the field. */
export function checkReason(
  value: string | undefined,
): { ok: true; reason: string } | { ok: false; error: string } {
  const reason = (value ?? '').replace(CONTROL, '').trim();
  if (!reason) return { ok: false, error: 'Enter a reason' };
  if (reason.length > REASON_MAX_LENGTH)
    return { ok: false, error: `Reason must be ${REASON_MAX_LENGTH} characters or fewer` };
  return { ok: true, reason };
}

/** The values to show again in a form with errors. */
export function keep(fields: Fields, names: readonly string[]): Fields {
  return Object.fromEntries(names.map((n) => [n, fields[n] ?? '']));
}

/** Sends a notice to the patient. The change is made already, so a failed send is logged, not shown. */
export async function notifyPatient(
  notifier: { send(message: Message): Promise<void> },
  request: FastifyRequest,
  message: Message,
): Promise<void> {
  try {
    await notifier.send(message);
  } catch (e) {
    request.log.warn({ err: e, type: message.type }, 'could not send the notice to the patient');
  }
}

/** No caching of pages about a patient. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}
