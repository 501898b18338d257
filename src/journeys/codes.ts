// Sending and checking the 6-digit security codes, by email or text message.
// Sends are limited per recipient and per IP address; wrong guesses are
// limited per code (MAX_CODE_ATTEMPTS) and per person across codes. Every
// send and failure is audited; the code itself never is.
import { AUDIT_EVENTS } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import type { EmailCodePurpose, Message, Notifier } from '../adapters/notify/port.js';
import type { RateLimits } from '../adapters/rate-limits.js';
import {
  CODE_TTL_SECONDS,
  MAX_CODE_ATTEMPTS,
  SMS_CODE_TTL_SECONDS,
  codeMatches,
  generateCode,
  hashCode,
} from '../domain/one-time-code.js';
import { err, ok, type Result } from '../domain/result.js';
import type { FastifyReply } from 'fastify';
import type { Journey, JourneyStore, PendingCode } from './state.js';

export interface CodeDeps {
  notifier: Notifier;
  limits: RateLimits;
  audit: AuditLog;
  /** Secret mixed into code hashes, so a leaked journey row does not give codes away. */
  codePepper: string;
}

export type SendProblem = { kind: 'too_many'; retryAfterSeconds: number };
export type CheckProblem = 'wrong' | 'expired' | 'too_many' | 'format';

export const CODE_MESSAGES: Record<CheckProblem, string> = {
  format: 'Enter the 6-digit security code',
  wrong: 'The security code is not correct. Check it and try again',
  expired: 'This security code has expired. Request a new code',
  too_many: 'You have entered the wrong code too many times. Request a new code',
};

/** The journey's pending code, only if it was sent where a step expects. */
function pendingCodeFor(
  pending: PendingCode | undefined,
  channel: PendingCode['channel'],
  recipient: string,
): PendingCode | undefined {
  return pending && pending.channel === channel && pending.recipient.toLowerCase() === recipient.toLowerCase()
    ? pending
    : undefined;
}

/**
 * Keeps the code just sent (none, when the send limit refused it) and goes to
 * the page that asks for it; `?limited=1` makes that page say why no code came.
 */
export async function toCodePage(
  journeys: JourneyStore,
  reply: FastifyReply,
  journey: Journey,
  sent: Result<PendingCode, SendProblem>,
  page: string,
): Promise<FastifyReply> {
  journey.state.code = sent.ok ? sent.value : undefined;
  await journeys.save(reply, journey, journey.state);
  return reply.redirect(sent.ok ? page : `${page}?limited=1`, 303);
}

export function createCodeService(deps: CodeDeps) {
  async function checkSendLimits(recipient: string, ip: string): Promise<SendProblem | undefined> {
    for (const [name, key] of [
      ['codesSentPerRecipient', recipient.toLowerCase()],
      ['codesSentPerIp', ip],
    ] as const) {
      const d = await deps.limits.hit(name, key);
      if (!d.allowed) {
        await deps.audit.record({ code: AUDIT_EVENTS.CODE_LIMIT_REACHED, ip, details: { limit: name } });
        return { kind: 'too_many', retryAfterSeconds: d.retryAfterSeconds };
      }
    }
    return undefined;
  }

  return {
    /**
     * Sends a code by email. When `insteadSend` is given (an email that must
     * not reveal whether an account exists), that message goes instead and
     * the returned pending code can never match.
     */
    async sendEmailCode(
      to: string,
      purpose: EmailCodePurpose,
      ip: string,
      options: { accountId?: string; insteadSend?: Message } = {},
    ): Promise<Result<PendingCode, SendProblem>> {
      const limited = await checkSendLimits(to, ip);
      if (limited) return err(limited);
      const code = generateCode();
      await deps.notifier.send(options.insteadSend ?? { type: 'email-code', to, code, purpose });
      await deps.audit.record({
        code: AUDIT_EVENTS.CODE_SENT,
        accountId: options.accountId,
        ip,
        details: { channel: 'email', purpose },
      });
      return ok({
        channel: 'email',
        recipient: to,
        // With another message sent instead, keep a hash of nothing the person can type.
        hash: options.insteadSend ? 'none' : hashCode(code, deps.codePepper),
        expiresAt: Date.now() + CODE_TTL_SECONDS * 1000,
        attempts: 0,
      });
    },

    async sendSmsCode(to: string, ip: string, accountId?: string): Promise<Result<PendingCode, SendProblem>> {
      const limited = await checkSendLimits(to, ip);
      if (limited) return err(limited);
      const code = generateCode();
      await deps.notifier.send({ type: 'sms-code', to, code });
      await deps.audit.record({ code: AUDIT_EVENTS.CODE_SENT, accountId, ip, details: { channel: 'sms' } });
      return ok({
        channel: 'sms',
        recipient: to,
        hash: hashCode(code, deps.codePepper),
        expiresAt: Date.now() + SMS_CODE_TTL_SECONDS * 1000,
        attempts: 0,
      });
    },

    /**
     * Checks a typed code against the pending one, which must have been sent
     * on `expect.channel` to `expect.recipient` (one journey can hold a code
     * from another step; it must never pass this one). `pending.attempts` is
     * increased in place on a wrong guess; the caller saves the journey.
     * `expect.subject` names who is guessing (account id or the address
     * being registered) for the limit across codes.
     */
    async check(
      journeyCode: PendingCode | undefined,
      input: string,
      expect: {
        channel: PendingCode['channel'];
        recipient: string;
        subject: string;
        ip: string;
        accountId?: string | undefined;
      },
    ): Promise<Result<void, CheckProblem>> {
      const { subject, ip, accountId } = expect;
      const pending = pendingCodeFor(journeyCode, expect.channel, expect.recipient);
      const typed = input.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(typed)) return err('format');
      if (!pending) return err('expired');
      if ((await deps.limits.check('codeFailuresPerSubject', subject)).allowed === false)
        return err('too_many');
      if (pending.attempts >= MAX_CODE_ATTEMPTS) return err('too_many');
      if (Date.now() > pending.expiresAt) return err('expired');
      if (pending.hash !== 'none' && codeMatches(typed, pending.hash, deps.codePepper)) {
        await deps.limits.reset('codeFailuresPerSubject', subject);
        return ok(undefined);
      }
      pending.attempts += 1;
      const d = await deps.limits.hit('codeFailuresPerSubject', subject);
      await deps.audit.record({
        code: AUDIT_EVENTS.CODE_FAILED,
        accountId,
        ip,
        details: { channel: pending.channel, attempts: pending.attempts },
      });
      if (!d.allowed || d.retryAfterSeconds > 0 || pending.attempts >= MAX_CODE_ATTEMPTS)
        return err('too_many');
      return err('wrong');
    },
  };
}

export type CodeService = ReturnType<typeof createCodeService>;
