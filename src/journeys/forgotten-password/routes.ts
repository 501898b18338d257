// Forgotten password: prove the email address with a code, then a second
// factor (the authenticator app if the account has one, else a text message
// to the account's phone), then choose a new password and carry on signed in.
//
// Whether an email address has an account never shows: with no account we
// send a "there is no NHS login for this address" email instead of a code,
// and the next page is the same either way. The whole guard chain of each
// page is visible here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { maskPhone } from '../../domain/contact-details.js';
import { PASSWORD_MESSAGES } from '../../domain/password-policy.js';
import type { Credential } from '../../domain/vectors-of-trust.js';
import { findAccountByEmail, findAccountById, updateAccount, type Account } from '../../store/accounts.js';
import { csrfProtect } from '../../web/security.js';
import { setAccountNotice } from '../account/notices.js';
import { WRONG_APP_CODE, verifyAuthenticatorApp } from '../authenticator-app.js';
import { CODE_MESSAGES, toCodePage } from '../codes.js';
import { finishSignIn, renderJourney, sessionEnded, signInSatisfied } from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { hashPassword } from '../passwords.js';
import { forgetDevices } from '../remembered-device.js';
import type { Journey } from '../state.js';
import {
  PASSWORD_CONFIRM_MESSAGES,
  codeForm,
  emailForm,
  fieldErrors,
  newPasswordForm,
} from './validation.js';

const TOO_MANY_SENT = 'You have asked for too many codes. Wait 15 minutes and then request a new code';
/**
 * The second factor shown during this reset, kept beside `reset` in the
 * journey (the state's open part) until the new password is set.
 */
const FACTOR_KEY = 'resetFactor';

function resetFactor(journey: Journey): Credential | undefined {
  const value = journey.state[FACTOR_KEY];
  return value === 'Cd' || value === 'Ck' ? value : undefined;
}

export function registerForgottenPasswordRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  const { journeys } = deps;

  /** Sends the reset code, or the "no account" email in its place; the person sees the same next page. */
  async function sendResetEmail(
    request: FastifyRequest,
    journey: Journey,
    email: string,
  ): Promise<'sent' | 'limited'> {
    const account = await findAccountByEmail(deps.db, email);
    const sent = await deps.codes.sendEmailCode(email, 'reset-password', request.ip, {
      accountId: account?.id,
      insteadSend: account ? undefined : { type: 'email-no-account', to: email },
    });
    journey.state.reset = { email, ...(account ? { accountId: account.id } : {}) };
    delete journey.state.signIn;
    delete journey.state[FACTOR_KEY];
    journey.state.code = sent.ok ? sent.value : undefined;
    return sent.ok ? 'sent' : 'limited';
  }

  async function sendTextCode(
    request: FastifyRequest,
    reply: FastifyReply,
    journey: Journey,
    account: Account,
  ): Promise<FastifyReply> {
    const sent = await deps.codes.sendSmsCode(account.phone_number, request.ip, account.id);
    return toCodePage(journeys, reply, journey, sent, '/forgotten-password/text-code');
  }

  /**
   * The account whose email was proved in this journey, or undefined when
   * the journey is lost (or the account has been locked by support since).
   */
  async function emailProved(journey: Journey | undefined): Promise<Account | undefined> {
    const reset = journey?.state.reset;
    if (!reset?.emailVerified || !reset.accountId) return undefined;
    const account = await findAccountById(deps.db, reset.accountId);
    return account?.locked_at ? undefined : account;
  }

  /** ...and a second factor shown too: ready for a new password. */
  async function readyForNewPassword(journey: Journey | undefined): Promise<Account | undefined> {
    if (!journey?.state.reset?.secondFactorDone || !resetFactor(journey)) return undefined;
    return emailProved(journey);
  }

  async function secondFactorDone(
    request: FastifyRequest,
    reply: FastifyReply,
    journey: Journey,
    account: Account,
    factor: 'Cd' | 'Ck',
  ): Promise<FastifyReply> {
    delete journey.state.code;
    journey.state.reset = { ...journey.state.reset, secondFactorDone: true };
    journey.state[FACTOR_KEY] = factor;
    // An app code is recorded where it is checked (verifyAuthenticatorApp).
    if (factor === 'Cd') {
      await deps.audit.record({
        code: AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_OK,
        accountId: account.id,
        ip: request.ip,
        details: { factor: 'sms', purpose: 'reset-password' },
      });
    }
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/forgotten-password/new-password', 303);
  }

  // 1. The email address.

  app.get('/forgotten-password', async (request, reply) => {
    const journey = await journeys.load(request);
    return renderJourney(reply, journey, 'forgotten-password/email.njk', { values: {}, errors: {} });
  });

  app.post('/forgotten-password', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = (await journeys.load(request)) ?? (await journeys.save(reply, undefined, {}));
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { email: typeof body.email === 'string' ? body.email : '' };
    const show = (errors: Record<string, string>, status = 400) =>
      reply
        .code(status)
        .send(renderJourney(reply, journey, 'forgotten-password/email.njk', { values, errors }));

    const parsed = emailForm.safeParse(body);
    if (!parsed.success) return show(fieldErrors(parsed.error));

    const sent = await sendResetEmail(request, journey, parsed.data.email);
    await journeys.save(reply, journey, journey.state);
    if (sent === 'limited') return show({ email: TOO_MANY_SENT }, 429);
    return reply.redirect('/forgotten-password/email-code', 303);
  });

  // 2. The code sent to that address.

  app.get('/forgotten-password/email-code', async (request, reply) => {
    const journey = await journeys.load(request);
    const email = journey?.state.reset?.email;
    if (!journey || !email) return sessionEnded(reply);
    const limited = (request.query as Record<string, string>).limited === '1';
    return renderJourney(reply, journey, 'forgotten-password/email-code.njk', {
      email,
      errors: limited ? { code: TOO_MANY_SENT } : {},
    });
  });

  app.post('/forgotten-password/email-code', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const reset = journey?.state.reset;
    const email = reset?.email;
    if (!journey || !reset || !email) return sessionEnded(reply);
    const show = (errors: Record<string, string>, status = 400) =>
      reply
        .code(status)
        .send(renderJourney(reply, journey, 'forgotten-password/email-code.njk', { email, errors }));

    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const checked = await deps.codes.check(journey.state.code, parsed.data.code, {
      channel: 'email',
      recipient: email,
      subject: `reset:${email}`,
      ip: request.ip,
      accountId: reset.accountId,
    });
    if (!checked.ok) {
      await journeys.save(reply, journey, journey.state);
      return show({ code: CODE_MESSAGES[checked.error] });
    }
    // A matching code means a real code was sent, so the account exists; check again all the same.
    const account = reset.accountId ? await findAccountById(deps.db, reset.accountId) : undefined;
    if (!account) return sessionEnded(reply);
    if (account.locked_at) {
      // Locked by support: a new password would not let them in. Said only to whoever owns the mailbox.
      delete journey.state.code;
      delete journey.state.reset;
      await journeys.save(reply, journey, journey.state);
      return reply.code(403).send(renderJourney(reply, journey, 'sign-in/locked.njk', {}));
    }
    delete journey.state.code;
    journey.state.reset = { ...reset, emailVerified: true };
    if (account.totp_secret) {
      await journeys.save(reply, journey, journey.state);
      return reply.redirect('/forgotten-password/authenticator-app', 303);
    }
    return sendTextCode(request, reply, journey, account);
  });

  app.post('/forgotten-password/email-code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const email = journey?.state.reset?.email;
    if (!journey || !email) return sessionEnded(reply);
    const sent = await sendResetEmail(request, journey, email);
    await journeys.save(reply, journey, journey.state);
    return reply.redirect(
      sent === 'limited' ? '/forgotten-password/email-code?limited=1' : '/forgotten-password/email-code',
      303,
    );
  });

  // 3a. A text message to the account's phone.

  app.get('/forgotten-password/text-code', async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await emailProved(journey);
    if (!journey || !account) return sessionEnded(reply);
    const limited = (request.query as Record<string, string>).limited === '1';
    return renderJourney(reply, journey, 'forgotten-password/text-code.njk', {
      phone: maskPhone(account.phone_number),
      errors: limited ? { code: TOO_MANY_SENT } : {},
      canUseApp: Boolean(account.totp_secret),
    });
  });

  app.post('/forgotten-password/text-code', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await emailProved(journey);
    if (!journey || !account) return sessionEnded(reply);
    const show = (errors: Record<string, string>) =>
      reply.code(400).send(
        renderJourney(reply, journey, 'forgotten-password/text-code.njk', {
          phone: maskPhone(account.phone_number),
          errors,
          canUseApp: Boolean(account.totp_secret),
        }),
      );
    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const checked = await deps.codes.check(journey.state.code, parsed.data.code, {
      channel: 'sms',
      recipient: account.phone_number,
      subject: account.id,
      ip: request.ip,
      accountId: account.id,
    });
    if (!checked.ok) {
      await journeys.save(reply, journey, journey.state);
      await deps.audit.record({
        code: AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_FAILED,
        accountId: account.id,
        ip: request.ip,
        details: { factor: 'sms', purpose: 'reset-password' },
      });
      return show({ code: CODE_MESSAGES[checked.error] });
    }
    return secondFactorDone(request, reply, journey, account, 'Cd');
  });

  app.post('/forgotten-password/text-code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await emailProved(journey);
    if (!journey || !account) return sessionEnded(reply);
    return sendTextCode(request, reply, journey, account);
  });

  // 3b. The authenticator app, when the account has one.

  app.get('/forgotten-password/authenticator-app', async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await emailProved(journey);
    if (!journey || !account?.totp_secret) return sessionEnded(reply);
    return renderJourney(reply, journey, 'forgotten-password/authenticator-app.njk', { errors: {} });
  });

  app.post('/forgotten-password/authenticator-app', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await emailProved(journey);
    if (!journey || !account?.totp_secret) return sessionEnded(reply);
    const show = (errors: Record<string, string>, status = 400) =>
      reply
        .code(status)
        .send(renderJourney(reply, journey, 'forgotten-password/authenticator-app.njk', { errors }));
    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const checked = await verifyAuthenticatorApp(deps, account, parsed.data.code, {
      ip: request.ip,
      purpose: 'reset-password',
    });
    if (!checked.ok) {
      return checked.error === 'too_many'
        ? show({ code: CODE_MESSAGES.too_many }, 429)
        : show({ code: WRONG_APP_CODE });
    }
    return secondFactorDone(request, reply, journey, account, 'Ck');
  });

  /** Lost the app: a text message to the account's phone instead. */
  app.post(
    '/forgotten-password/authenticator-app/use-text',
    { preHandler: csrfProtect },
    async (request, reply) => {
      const journey = await journeys.load(request);
      const account = await emailProved(journey);
      if (!journey || !account) return sessionEnded(reply);
      return sendTextCode(request, reply, journey, account);
    },
  );

  // 4. The new password; then the person is signed in.

  app.get('/forgotten-password/new-password', async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await readyForNewPassword(journey);
    if (!journey || !account) return sessionEnded(reply);
    return renderJourney(reply, journey, 'forgotten-password/new-password.njk', { errors: {} });
  });

  app.post('/forgotten-password/new-password', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await readyForNewPassword(journey);
    const factor = journey ? resetFactor(journey) : undefined;
    if (!journey || !account || !factor) return sessionEnded(reply);
    const show = (errors: Record<string, string>) =>
      reply.code(400).send(renderJourney(reply, journey, 'forgotten-password/new-password.njk', { errors }));

    const parsed = newPasswordForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const policy = deps.passwords.check(parsed.data.password, { email: account.email });
    if (!policy.ok) return show({ password: PASSWORD_MESSAGES[policy.error] });
    if (parsed.data.confirm !== parsed.data.password)
      return show({ confirm: PASSWORD_CONFIRM_MESSAGES.mismatch });

    await updateAccount(deps.db, account.id, {
      password_hash: await hashPassword(parsed.data.password),
      // Support may have asked for a new password: this is it.
      password_reset_required: false,
    });
    // Browsers remembered under the old password must show a code again.
    await forgetDevices(deps.db, account.id);
    await deps.limits.reset('passwordFailuresPerAccount', account.email.toLowerCase());
    await deps.audit.record({ code: AUDIT_EVENTS.PASSWORD_RESET, accountId: account.id, ip: request.ip });
    await notifyChanged(deps, request, account.email);

    delete journey.state.reset;
    delete journey.state.code;
    delete journey.state[FACTOR_KEY];
    journey.state.signIn = {
      accountId: account.id,
      credentials: ['Cp', factor],
      level: account.proofing_level,
    };
    if (!journey.state.interaction) setAccountNotice(journey.state, 'password-reset');
    if (signInSatisfied(journey.state)) return finishSignIn(deps, request, reply, journey);
    // A supplier that asked for more (another factor, a higher level): the sign-in journey takes over.
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/sign-in/continue', 303);
  });
}

/** The security notice after the reset. The password is changed already, so a failed send is logged, not shown. */
async function notifyChanged(deps: JourneyDeps, request: FastifyRequest, to: string): Promise<void> {
  try {
    await deps.notifier.send({ type: 'email-account-changed', to, change: 'password' });
  } catch (e) {
    request.log.warn({ err: e }, 'could not send the password-changed notice');
  }
}
