// "Your NHS login": the pages where a signed-in person sees and changes
// their own account: email address, mobile phone number, password,
// authenticator app; the services they have used; deleting the account and
// logging out; their recent activity. Signing in here is the sign-in journey without a supplier,
// which ends at /account. Thirty minutes without a page here and the person
// signs in again. The whole guard chain of each page is visible here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountChange } from '../../adapters/notify/port.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { accountHistory } from '../../audit/history.js';
import { maskPhone } from '../../domain/contact-details.js';
import { PASSWORD_MESSAGES } from '../../domain/password-policy.js';
import type { ProofingLevel } from '../../domain/vectors-of-trust.js';
import {
  deleteAccount,
  findAccountByEmail,
  findAccountById,
  listServicesUsed,
  updateAccount,
  type Account,
} from '../../store/accounts.js';
import { findLatestSubmittedCheck } from '../../store/photo-id-checks.js';
import type { PhotoIdCheck } from '../../store/schema.js';
import { cancelErasure } from '../../store/support.js';
import { csrfProtect } from '../../web/security.js';
import { authenticatorUri, checkAuthenticatorCode, newAuthenticatorSecret } from '../authenticator-app.js';
import { CODE_MESSAGES, toCodePage } from '../codes.js';
import { renderJourney } from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { hashPassword, passwordMatches } from '../passwords.js';
import { forgetDevices } from '../remembered-device.js';
import { hasPendingInvitation } from '../delegate/state.js';
import { ACCOUNT_IDLE_SECONDS, type Journey } from '../state.js';
import { setAccountNotice, takeAccountNotice } from './notices.js';
import {
  PASSWORD_CONFIRM_MESSAGES,
  changePasswordForm,
  codeForm,
  emailForm,
  fieldErrors,
  passwordForm,
  phoneForm,
} from './validation.js';

export const PROOFING_LEVEL_TEXT: Record<ProofingLevel, string> = {
  P0: 'You have not proved who you are yet',
  P5: 'Your identity has been matched to your NHS record',
  P9: 'You have proved who you are',
};

/** What the account page says about the latest photo ID check, while the person is below P9. */
const PHOTO_ID_STATUS_TEXT: Partial<Record<PhotoIdCheck['status'], string>> = {
  referred: 'Your photo ID is being checked. We will email you when it has been.',
  rejected: 'We could not confirm who you are from your photo ID. You can try again.',
  failed: 'Your last photo ID check did not work. You can try again.',
};

const TOO_MANY_SENT = 'You have asked for too many codes. Wait 15 minutes and then request a new code';
const WRONG_APP_CODE = 'The security code is not correct. Enter the code your authenticator app shows now';
const EMAIL_TAKEN =
  'Another NHS login already uses this email address, so you cannot use it. Enter a different email address';

/** The authenticator-app key being set up, sealed, kept in the journey until a code confirms it. */
const PENDING_APP_KEY = 'pendingAuthenticatorSecret';

/**
 * The account this journey is signed in to the account pages as, or
 * undefined when it is not, or when the person has done nothing here for
 * ACCOUNT_IDLE_SECONDS.
 */
export function signedInAccount(journey: Journey | undefined, now = Date.now()): string | undefined {
  const signedIn = journey?.state.account;
  if (!signedIn) return undefined;
  if (now - signedIn.lastSeen > ACCOUNT_IDLE_SECONDS * 1000) return undefined;
  return signedIn.accountId;
}

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});

const TIME = new Intl.DateTimeFormat('en-GB', {
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h12',
  timeZone: 'Europe/London',
});

/**
 * A moment as the NHS writes it, in UK time: "3 March 2025 at 2:05pm",
 * "9am", "midday", "midnight".
 */
export function dateTimeText(at: Date): string {
  const parts = TIME.formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const hour = Number(part('hour'));
  const minute = part('minute');
  const pm = part('dayPeriod').toLowerCase().startsWith('p');
  let time: string;
  if (hour === 12 && minute === '00') time = pm ? 'midday' : 'midnight';
  else time = `${hour}${minute === '00' ? '' : `:${minute}`}${pm ? 'pm' : 'am'}`;
  return `${DATE.format(at)} at ${time}`;
}

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** The base32 key in groups of 4, easier to copy into an app by hand. */
export function groupKey(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}

interface SignedIn {
  journey: Journey;
  account: Account;
}

export function registerAccountRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  const { journeys } = deps;

  /**
   * The guard of every account page: the signed-in journey and account, with
   * the idle clock restarted; or undefined, having forgotten an expired
   * sign-in (and any half-done supplier sign-in, so that signing in from
   * here ends back here).
   */
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const journey = await journeys.load(request);
    const accountId = signedInAccount(journey);
    const found = accountId ? await findAccountById(deps.db, accountId) : undefined;
    // Locked by support: signed out of here too (signing in again shows why not).
    const account = found?.locked_at ? undefined : found;
    if (!journey) return undefined;
    if (!account) {
      const { state } = journey;
      if (state.account || state.interaction || state.signIn || state.change) {
        delete state.account;
        delete state.interaction;
        delete state.signIn;
        delete state.change;
        delete state.code;
        delete state[PENDING_APP_KEY];
        await journeys.save(reply, journey, state);
      }
      return undefined;
    }
    journey.state.account = { accountId: account.id, lastSeen: Date.now() };
    await journeys.save(reply, journey, journey.state);
    return { journey, account };
  }

  const toSignIn = (reply: FastifyReply) => reply.redirect('/sign-in', 303);

  /** Sends the security notice. The change is made already, so a failed send is logged, not shown. */
  async function notifyChanged(request: FastifyRequest, to: string, change: AccountChange): Promise<void> {
    try {
      await deps.notifier.send({ type: 'email-account-changed', to, change });
    } catch (e) {
      request.log.warn({ err: e, change }, 'could not send the account-changed notice');
    }
  }

  /**
   * Checks the password a signed-in person typed to confirm a change. Wrong
   * guesses count against the same limit as signing in, so the account pages
   * are no way round it. Returns an error message (and status) or undefined.
   */
  async function wrongPassword(
    request: FastifyRequest,
    account: Account,
    password: string,
    purpose: string,
  ): Promise<{ message: string; status: number } | undefined> {
    const key = account.email.toLowerCase();
    const lockedOut = (seconds: number) => ({
      message: `You have entered the wrong password too many times. Try again in ${minutes(seconds)}`,
      status: 429,
    });
    const limit = await deps.limits.check('passwordFailuresPerAccount', key);
    if (!limit.allowed) return lockedOut(limit.retryAfterSeconds);
    if (await passwordMatches(account.password_hash, password)) {
      await deps.limits.reset('passwordFailuresPerAccount', key);
      return undefined;
    }
    const failures = await deps.limits.hit('passwordFailuresPerAccount', key);
    await deps.audit.record({
      code: AUDIT_EVENTS.SIGN_IN_PASSWORD_FAILED,
      accountId: account.id,
      ip: request.ip,
      details: { purpose },
    });
    if (failures.retryAfterSeconds > 0) {
      await deps.audit.record({ code: AUDIT_EVENTS.SIGN_IN_LOCKED, accountId: account.id, ip: request.ip });
      return lockedOut(failures.retryAfterSeconds);
    }
    return { message: 'Your password is not correct. Check it and try again', status: 400 };
  }

  // Your NHS login.

  app.get('/account', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const notice = takeAccountNotice(journey.state);
    if (notice) await journeys.save(reply, journey, journey.state);
    const [services, photoId] = await Promise.all([
      listServicesUsed(deps.db, account.id),
      account.proofing_level === 'P9' ? undefined : findLatestSubmittedCheck(deps.db, account.id),
    ]);
    return renderJourney(reply, journey, 'account/index.njk', {
      notice,
      eraseOn: account.erase_after ? DATE.format(account.erase_after) : undefined,
      email: account.email,
      phone: maskPhone(account.phone_number),
      hasApp: Boolean(account.totp_secret),
      proofing:
        account.proofing_suspended_at !== null
          ? 'We need you to prove who you are again'
          : PROOFING_LEVEL_TEXT[account.proofing_level],
      // The outcome of a photo ID check an ID checker has, or had, in hand.
      photoIdStatus: photoId ? PHOTO_ID_STATUS_TEXT[photoId.status] : undefined,
      // Below P9 (or suspended): the ways to prove more.
      canProve: account.proofing_level !== 'P9',
      // A delegation invitation opened before signing in (src/journeys/delegate): the way back to it.
      invitationWaiting: hasPendingInvitation(journey.state),
      services: services.map((svc) => ({
        name: svc.name,
        firstUsed: DATE.format(svc.firstUsedAt),
        lastUsed: DATE.format(svc.lastUsedAt),
      })),
    });
  });

  // Recent activity: the person's own audit events, in plain English.

  app.get('/account/activity', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const events = await accountHistory(deps.db, s.account.id);
    return renderJourney(reply, s.journey, 'account/activity.njk', {
      events: events.map((e) => ({
        when: dateTimeText(e.at),
        iso: e.at.toISOString(),
        description: e.description,
        ip: e.bySupport ? 'Not shown (NHS login support)' : (e.ip ?? 'Not known'),
      })),
    });
  });

  // Email address: a code to the new address, then the change, then a notice to the old one.

  app.get('/account/email', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    return renderJourney(reply, s.journey, 'account/email.njk', {
      current: s.account.email,
      values: {},
      errors: {},
    });
  });

  app.post('/account/email', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { email: typeof body.email === 'string' ? body.email : '' };
    const show = (errors: Record<string, string>, status = 400) =>
      reply
        .code(status)
        .send(renderJourney(reply, journey, 'account/email.njk', { current: account.email, values, errors }));

    const parsed = emailForm.safeParse(body);
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const email = parsed.data.email;
    if (email === account.email.toLowerCase()) {
      return show({ email: 'This is already your email address. Enter a different email address' });
    }
    // Whether the new address has an account of its own is only said once the person proves they own it.
    const sent = await deps.codes.sendEmailCode(email, 'change-email', request.ip, { accountId: account.id });
    if (!sent.ok) return show({ email: TOO_MANY_SENT }, 429);
    journey.state.change = { kind: 'email', value: email };
    journey.state.code = sent.value;
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/account/email/code', 303);
  });

  app.get('/account/email/code', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const change = s.journey.state.change;
    if (change?.kind !== 'email') return reply.redirect('/account/email', 303);
    const limited = (request.query as Record<string, string>).limited === '1';
    return renderJourney(reply, s.journey, 'account/email-code.njk', {
      email: change.value,
      errors: limited ? { code: TOO_MANY_SENT } : {},
    });
  });

  app.post('/account/email/code', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const change = journey.state.change;
    if (change?.kind !== 'email') return reply.redirect('/account/email', 303);
    const show = (errors: Record<string, string>, status = 400) =>
      reply
        .code(status)
        .send(renderJourney(reply, journey, 'account/email-code.njk', { email: change.value, errors }));

    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const checked = await deps.codes.check(journey.state.code, parsed.data.code, {
      channel: 'email',
      recipient: change.value,
      subject: account.id,
      ip: request.ip,
      accountId: account.id,
    });
    if (!checked.ok) {
      await journeys.save(reply, journey, journey.state);
      return show({ code: CODE_MESSAGES[checked.error] });
    }
    delete journey.state.change;
    delete journey.state.code;
    await journeys.save(reply, journey, journey.state);
    const taken = (values: { email: string }) =>
      reply.code(409).send(
        renderJourney(reply, journey, 'account/email.njk', {
          current: account.email,
          values,
          errors: { email: EMAIL_TAKEN },
        }),
      );
    const other = await findAccountByEmail(deps.db, change.value);
    if (other && other.id !== account.id) return taken({ email: change.value });
    try {
      await updateAccount(deps.db, account.id, { email: change.value });
    } catch (e) {
      // Two accounts racing for one address: the unique index decides.
      if (isUniqueViolation(e)) return taken({ email: change.value });
      throw e;
    }
    // The old address is the one that needs warning; the message never says the new one.
    await notifyChanged(request, account.email, 'email');
    await deps.audit.record({ code: AUDIT_EVENTS.EMAIL_CHANGED, accountId: account.id, ip: request.ip });
    setAccountNotice(journey.state, 'email');
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/account', 303);
  });

  app.post('/account/email/code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const change = journey.state.change;
    if (change?.kind !== 'email') return reply.redirect('/account/email', 303);
    const sent = await deps.codes.sendEmailCode(change.value, 'change-email', request.ip, {
      accountId: account.id,
    });
    return toCodePage(journeys, reply, journey, sent, '/account/email/code');
  });

  // Password: the current one, then the new one twice.

  app.get('/account/password', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    return renderJourney(reply, s.journey, 'account/password.njk', { errors: {} });
  });

  app.post('/account/password', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const show = (errors: Record<string, string>, status = 400) =>
      reply.code(status).send(renderJourney(reply, journey, 'account/password.njk', { errors }));

    const parsed = changePasswordForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const wrong = await wrongPassword(request, account, parsed.data.currentPassword, 'change-password');
    if (wrong) return show({ currentPassword: wrong.message }, wrong.status);
    const policy = deps.passwords.check(parsed.data.password, { email: account.email });
    if (!policy.ok) return show({ password: PASSWORD_MESSAGES[policy.error] });
    if (parsed.data.confirm !== parsed.data.password)
      return show({ confirm: PASSWORD_CONFIRM_MESSAGES.mismatch });
    await updateAccount(deps.db, account.id, {
      password_hash: await hashPassword(parsed.data.password),
      password_reset_required: false,
    });
    await forgetDevices(deps.db, account.id);
    await notifyChanged(request, account.email, 'password');
    await deps.audit.record({ code: AUDIT_EVENTS.PASSWORD_CHANGED, accountId: account.id, ip: request.ip });
    setAccountNotice(journey.state, 'password');
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/account', 303);
  });

  // Mobile phone number: a code to the new number, then the change.

  app.get('/account/phone', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    return renderJourney(reply, s.journey, 'account/phone.njk', {
      current: maskPhone(s.account.phone_number),
      values: {},
      errors: {},
    });
  });

  app.post('/account/phone', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { phone: typeof body.phone === 'string' ? body.phone : '' };
    const show = (errors: Record<string, string>, status = 400) =>
      reply.code(status).send(
        renderJourney(reply, journey, 'account/phone.njk', {
          current: maskPhone(account.phone_number),
          values,
          errors,
        }),
      );

    const parsed = phoneForm.safeParse(body);
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const phone = parsed.data.phone;
    if (phone === account.phone_number) {
      return show({ phone: 'This is already your mobile phone number. Enter a different number' });
    }
    const sent = await deps.codes.sendSmsCode(phone, request.ip, account.id);
    if (!sent.ok) return show({ phone: TOO_MANY_SENT }, 429);
    journey.state.change = { kind: 'phone', value: phone };
    journey.state.code = sent.value;
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/account/phone/code', 303);
  });

  app.get('/account/phone/code', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const change = s.journey.state.change;
    if (change?.kind !== 'phone') return reply.redirect('/account/phone', 303);
    const limited = (request.query as Record<string, string>).limited === '1';
    return renderJourney(reply, s.journey, 'account/phone-code.njk', {
      phone: maskPhone(change.value),
      errors: limited ? { code: TOO_MANY_SENT } : {},
    });
  });

  app.post('/account/phone/code', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const change = journey.state.change;
    if (change?.kind !== 'phone') return reply.redirect('/account/phone', 303);
    const show = (errors: Record<string, string>) =>
      reply
        .code(400)
        .send(
          renderJourney(reply, journey, 'account/phone-code.njk', { phone: maskPhone(change.value), errors }),
        );

    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const checked = await deps.codes.check(journey.state.code, parsed.data.code, {
      channel: 'sms',
      recipient: change.value,
      subject: account.id,
      ip: request.ip,
      accountId: account.id,
    });
    if (!checked.ok) {
      await journeys.save(reply, journey, journey.state);
      return show({ code: CODE_MESSAGES[checked.error] });
    }
    await updateAccount(deps.db, account.id, {
      phone_number: change.value,
      phone_number_verified: true,
      // A new number is not the one on the person's NHS record until checked again.
      phone_number_pds_matched: false,
    });
    // Remembered browsers stood in for the old phone.
    await forgetDevices(deps.db, account.id);
    await notifyChanged(request, account.email, 'phone');
    await deps.audit.record({ code: AUDIT_EVENTS.PHONE_CHANGED, accountId: account.id, ip: request.ip });
    delete journey.state.change;
    delete journey.state.code;
    setAccountNotice(journey.state, 'phone');
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/account', 303);
  });

  app.post('/account/phone/code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const change = journey.state.change;
    if (change?.kind !== 'phone') return reply.redirect('/account/phone', 303);
    const sent = await deps.codes.sendSmsCode(change.value, request.ip, account.id);
    return toCodePage(journeys, reply, journey, sent, '/account/phone/code');
  });

  // Authenticator app: set one up (a new key, confirmed by a code from it), or remove it.

  /** The key being set up in this journey, made (and kept, sealed) the first time it is asked for. */
  async function pendingSecret(reply: FastifyReply, journey: Journey): Promise<string> {
    const sealed = journey.state[PENDING_APP_KEY];
    if (typeof sealed === 'string') {
      try {
        return deps.sealer.open(sealed);
      } catch {
        // Sealed under a key since rotated: make a new one.
      }
    }
    const secret = newAuthenticatorSecret();
    journey.state[PENDING_APP_KEY] = deps.sealer.seal(secret);
    await journeys.save(reply, journey, journey.state);
    return secret;
  }

  async function showAppPage(reply: FastifyReply, s: SignedIn, errors: Record<string, string>, status = 200) {
    if (s.account.totp_secret) {
      return reply
        .code(status)
        .send(renderJourney(reply, s.journey, 'account/authenticator-app-remove.njk', { errors }));
    }
    const secret = await pendingSecret(reply, s.journey);
    return reply.code(status).send(
      renderJourney(reply, s.journey, 'account/authenticator-app.njk', {
        key: groupKey(secret),
        uri: authenticatorUri(secret, s.account.email),
        errors,
      }),
    );
  }

  app.get('/account/authenticator-app', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    return showAppPage(reply, s, {});
  });

  app.post('/account/authenticator-app', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const sealed = journey.state[PENDING_APP_KEY];
    if (account.totp_secret || typeof sealed !== 'string')
      return reply.redirect('/account/authenticator-app', 303);

    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return showAppPage(reply, s, fieldErrors(parsed.error), 400);
    if (!(await deps.limits.check('codeFailuresPerSubject', account.id)).allowed) {
      return showAppPage(reply, s, { code: CODE_MESSAGES.too_many }, 429);
    }
    const secret = await pendingSecret(reply, journey);
    const step = checkAuthenticatorCode(secret, parsed.data.code, null);
    if (step === undefined) {
      await deps.limits.hit('codeFailuresPerSubject', account.id);
      return showAppPage(reply, s, { code: WRONG_APP_CODE }, 400);
    }
    await deps.limits.reset('codeFailuresPerSubject', account.id);
    await updateAccount(deps.db, account.id, { totp_secret: deps.sealer.seal(secret), totp_last_step: step });
    await notifyChanged(request, account.email, 'authenticator-app');
    await deps.audit.record({
      code: AUDIT_EVENTS.AUTHENTICATOR_APP_ADDED,
      accountId: account.id,
      ip: request.ip,
    });
    delete journey.state[PENDING_APP_KEY];
    setAccountNotice(journey.state, 'app-added');
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/account', 303);
  });

  app.post('/account/authenticator-app/remove', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    if (!account.totp_secret) return reply.redirect('/account', 303);

    const parsed = passwordForm.safeParse(request.body ?? {});
    if (!parsed.success) return showAppPage(reply, s, fieldErrors(parsed.error), 400);
    const wrong = await wrongPassword(request, account, parsed.data.password, 'remove-authenticator-app');
    if (wrong) return showAppPage(reply, s, { password: wrong.message }, wrong.status);
    await updateAccount(deps.db, account.id, { totp_secret: null, totp_last_step: null });
    await notifyChanged(request, account.email, 'authenticator-app');
    await deps.audit.record({
      code: AUDIT_EVENTS.AUTHENTICATOR_APP_REMOVED,
      accountId: account.id,
      ip: request.ip,
    });
    setAccountNotice(journey.state, 'app-removed');
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/account', 303);
  });

  // Support arranged for the account to be deleted: the person can keep it.

  app.post('/account/cancel-deletion', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    if (await cancelErasure(deps.db, account.id)) {
      await deps.audit.record({
        code: AUDIT_EVENTS.ERASURE_CANCELLED,
        accountId: account.id,
        ip: request.ip,
      });
      try {
        await deps.notifier.send({ type: 'email-erasure-cancelled', to: account.email });
      } catch (e) {
        request.log.warn({ err: e }, 'could not send the erasure-cancelled notice');
      }
      setAccountNotice(journey.state, 'erasure-cancelled');
      await journeys.save(reply, journey, journey.state);
    }
    return reply.redirect('/account', 303);
  });

  // Deleting the account.

  app.get('/account/delete', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    return renderJourney(reply, s.journey, 'account/delete.njk', { errors: {} });
  });

  app.post('/account/delete', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const show = (errors: Record<string, string>, status = 400) =>
      reply.code(status).send(renderJourney(reply, journey, 'account/delete.njk', { errors }));

    const parsed = passwordForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const wrong = await wrongPassword(request, account, parsed.data.password, 'delete-account');
    if (wrong) return show({ password: wrong.message }, wrong.status);
    await deleteAccount(deps.db, account.id);
    await deps.audit.record({ code: AUDIT_EVENTS.ACCOUNT_DELETED, accountId: account.id, ip: request.ip });
    await notifyChanged(request, account.email, 'deleted');
    await journeys.end(reply, journey);
    return renderJourney(reply, undefined, 'account/deleted.njk', {});
  });

  // Logging out of the account pages.

  app.post('/account/sign-out', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const accountId = signedInAccount(journey);
    if (accountId) await deps.audit.record({ code: AUDIT_EVENTS.SIGNED_OUT, accountId, ip: request.ip });
    await journeys.end(reply, journey);
    return renderJourney(reply, undefined, 'account/signed-out.njk', {});
  });
}
