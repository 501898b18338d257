// The production notifier: GOV.UK Notify, through its official client.
//
// Templates an operator creates in Notify (the exact text is TEMPLATES in
// messages.ts: copy it from there, placeholders included; lines wrapped here
// are single lines there):
//
//   1. Email, "NHS login security code"  -> NOTIFY_EMAIL_CODE_TEMPLATE_ID
//        Subject: ((subject))
//        Body:    ((purpose))
//
//                 Your security code is ((code))
//
//                 This code expires in ((expiry)). Do not share it with anyone.
//                 NHS staff will never ask you for it.
//
//                 ((if_not_you))
//
//   2. Text message, "NHS login security code"  -> NOTIFY_SMS_CODE_TEMPLATE_ID
//        Your NHS login security code is ((code)). It expires in ((expiry)).
//        Do not share this code with anyone.
//
//   3. Email, "NHS login notice"  -> NOTIFY_EMAIL_NOTICE_TEMPLATE_ID
//        Subject: ((subject))
//        Body:    ((body))
//      Every email that carries no code (already registered, no account,
//      account changed, support actions, erasure scheduled or cancelled,
//      identity proved, an NHS number tried by another login, staff
//      invitations) goes through this one; the words come from
//      messages.ts, so changing them needs no change in Notify.
//
// The API key is Notify's `keyname-<service id>-<secret>`: the client signs a
// short-lived HS256 JWT with the secret for every request; the key itself is
// never sent, and never appears in a NotifyError.
import notifications from 'notifications-node-client';
import { renderMessage, type RenderOptions, type TemplateName } from './messages.js';
import type { Message, MessageType, Notifier } from './port.js';

// The package is CommonJS (`module.exports = { NotifyClient }`); a default
// import is its module.exports under Node's ESM, so this works with or
// without Node detecting named exports.
const { NotifyClient } = notifications;

export interface GovukNotifyOptions extends RenderOptions {
  apiKey: string;
  emailCodeTemplateId: string;
  smsCodeTemplateId: string;
  emailNoticeTemplateId: string;
  /** Defaults to https://api.notifications.service.gov.uk; tests point it at a local fake. */
  baseUrl?: string | undefined;
  /** Give up waiting for Notify after this long (the client itself has no timeout). Default 10 s. */
  timeoutMs?: number | undefined;
}

export interface NotifyErrorDetail {
  error: string;
  message: string;
}

/** Notify refused or could not be reached. Holds no API key, token or message content. */
export class NotifyError extends Error {
  override readonly name = 'NotifyError';
  constructor(
    message: string,
    /** Notify's HTTP status; undefined when no answer came (network failure, timeout). */
    readonly status: number | undefined,
    /** Notify's own error list, for example [{ error: 'BadRequestError', message: 'Missing personalisation: code' }]. */
    readonly errors: NotifyErrorDetail[],
    readonly messageType: MessageType,
  ) {
    super(message);
  }
}

const API_KEY =
  /^(.+)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function createGovukNotifyNotifier(options: GovukNotifyOptions): Notifier {
  const keyParts = API_KEY.exec(options.apiKey);
  if (!keyParts) {
    throw new Error('The GOV.UK Notify API key is not in the form keyname-<service id>-<secret>');
  }
  const secret = keyParts[3] ?? '';
  const baseUrl = options.baseUrl?.replace(/\/+$/, '');
  const client = baseUrl ? new NotifyClient(baseUrl, options.apiKey) : new NotifyClient(options.apiKey);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const templateIds: Record<TemplateName, string> = {
    'email-code': options.emailCodeTemplateId,
    'sms-code': options.smsCodeTemplateId,
    'email-notice': options.emailNoticeTemplateId,
  };
  const redact = (text: string): string =>
    text.split(options.apiKey).join('[redacted]').split(secret).join('[redacted]');

  return {
    async send(message: Message): Promise<void> {
      const rendered = renderMessage(message, options);
      const templateId = templateIds[rendered.template];
      const personalisation = rendered.personalisation;
      const request =
        rendered.channel === 'sms'
          ? client.sendSms(templateId, rendered.recipient, { personalisation })
          : client.sendEmail(templateId, rendered.recipient, { personalisation });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new NotifyError(
                `GOV.UK Notify did not answer within ${timeoutMs} ms`,
                undefined,
                [],
                message.type,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        await Promise.race([request, timeout]);
      } catch (error) {
        if (error instanceof NotifyError) throw error;
        throw toNotifyError(error, message.type, redact);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Turns the client's axios error into a NotifyError. The axios error is not
 * kept as `cause`: its config holds the Authorization header (a bearer token).
 */
function toNotifyError(error: unknown, type: MessageType, redact: (s: string) => string): NotifyError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    message?: unknown;
    code?: unknown;
    response?: { status?: unknown; data?: unknown };
  };
  const status = typeof e.response?.status === 'number' ? e.response.status : undefined;
  if (status === undefined) {
    const why = [e.code, e.message].filter((x): x is string => typeof x === 'string' && x !== '').join(': ');
    return new NotifyError(
      redact(`Could not reach GOV.UK Notify${why ? ` (${why})` : ''}`),
      undefined,
      [],
      type,
    );
  }
  const errors = notifyErrors(e.response?.data).map((d) => ({
    error: redact(d.error),
    message: redact(d.message),
  }));
  const detail = errors.map((d) => `${d.error}: ${d.message}`).join('; ');
  return new NotifyError(
    `GOV.UK Notify refused the ${type} message (${status})${detail ? `: ${detail}` : ''}`,
    status,
    errors,
    type,
  );
}

/** Notify answers errors as { status_code, errors: [{ error, message }] }. */
function notifyErrors(data: unknown): NotifyErrorDetail[] {
  if (typeof data !== 'object' || data === null) return [];
  const list = (data as { errors?: unknown }).errors;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { error, message } = item as { error?: unknown; message?: unknown };
    return [
      {
        error: typeof error === 'string' ? error : 'Error',
        message: typeof message === 'string' ? message : '',
      },
    ];
  });
}
