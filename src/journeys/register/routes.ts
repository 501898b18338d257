// Registration: a P0 account from a verified email address, a password and a
// verified mobile phone number. Progress lives in the journey (state.register)
// and the account is made in one insert at the very end, so nothing half-made
// ever reaches the accounts table. Each step's guard (the earlier steps done)
// is visible in its handler; a lost journey gets the "session ended" page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { maskPhone } from '../../domain/contact-details.js';
import { PASSWORD_MESSAGES } from '../../domain/password-policy.js';
import { createAccount, findAccountByEmail } from '../../store/accounts.js';
import { csrfProtect } from '../../web/security.js';
import { CODE_MESSAGES } from '../codes.js';
import { finishSignIn, proofingNeeded, renderJourney, sessionEnded } from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { hashPassword } from '../passwords.js';
import type { Journey, JourneyState } from '../state.js';
import {
  PASSWORD_CONFIRM_MESSAGES,
  codeForm,
  emailForm,
  fieldErrors,
  passwordForm,
  phoneForm,
  typed,
} from './validation.js';

const TOO_MANY_SENDS = 'You have asked for too many codes. Wait 15 minutes and try again';

type Register = NonNullable<JourneyState['register']>;

/** The journey with its registration progress, or undefined when the journey is lost. */
type Step = { journey: Journey; register: Register };

/** The stored +44 number as people write it, to show again in the form. */
const national = (e164: string): string => (e164.startsWith('+44') ? '0' + e164.slice(3) : e164);

export function registerRegisterRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  const { journeys } = deps;

  // Guards, one per step: each needs every earlier step done.
  async function withEmail(request: FastifyRequest): Promise<Step | undefined> {
    const journey = await journeys.load(request);
    const register = journey?.state.register;
    return journey && register?.email ? { journey, register } : undefined;
  }
  async function withVerifiedEmail(request: FastifyRequest): Promise<Step | undefined> {
    const step = await withEmail(request);
    return step?.register.emailVerified === true ? step : undefined;
  }
  async function withPassword(request: FastifyRequest): Promise<Step | undefined> {
    const step = await withVerifiedEmail(request);
    return step?.register.passwordHash ? step : undefined;
  }
  async function withPhone(request: FastifyRequest): Promise<Step | undefined> {
    const step = await withPassword(request);
    return step?.register.phone ? step : undefined;
  }

  /** A supplier that said allow_registration=false does not offer registration. */
  const registrationClosed = (journey: Journey | undefined): boolean =>
    journey?.state.interaction?.allowRegistration === false;

  /**
   * Sends the email code, or, when the address already has an account, the
   * "you already have an NHS login" email instead: the person at the keyboard
   * sees the same next page either way.
   */
  async function sendEmailCode(request: FastifyRequest, email: string) {
    const existing = await findAccountByEmail(deps.db, email);
    return deps.codes.sendEmailCode(email, 'register', request.ip, {
      ...(existing ? { insteadSend: { type: 'email-already-registered' as const, to: email } } : {}),
    });
  }

  // 1. Email address.

  app.get('/register', async (request, reply) => {
    const journey = await journeys.load(request);
    if (registrationClosed(journey)) return reply.redirect('/sign-in', 303);
    return renderJourney(reply, journey, 'register/email.njk', {
      values: { email: journey?.state.register?.email ?? '' },
      errors: {},
    });
  });

  app.post('/register', { preHandler: csrfProtect }, async (request, reply) => {
    const loaded = await journeys.load(request);
    if (registrationClosed(loaded)) return reply.redirect('/sign-in', 303);
    const values = typed(request.body, ['email']);
    const show = (errors: Record<string, string>, status = 400) =>
      reply.code(status).send(renderJourney(reply, loaded, 'register/email.njk', { values, errors }));

    const parsed = emailForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const email = parsed.data.email;
    const sent = await sendEmailCode(request, email);
    if (!sent.ok) return show({ email: TOO_MANY_SENDS }, 429);

    // Starting registration abandons any sign-in, reset or change in progress in
    // this journey (their pending codes must not meet ours); the supplier's
    // authorization and a signed-in account page stay.
    const state: JourneyState = { ...loaded?.state, register: { email }, code: sent.value };
    delete state.signIn;
    delete state.reset;
    delete state.change;
    await journeys.save(reply, loaded, state);
    return reply.redirect('/register/email-code', 303);
  });

  // 2. The code sent by email.

  function showEmailCode(
    reply: FastifyReply,
    step: Step,
    values: Record<string, string>,
    errors: Record<string, string>,
    status = 200,
  ) {
    return reply.code(status).send(
      renderJourney(reply, step.journey, 'register/email-code.njk', {
        email: step.register.email,
        values,
        errors,
      }),
    );
  }

  app.get('/register/email-code', async (request, reply) => {
    const step = await withEmail(request);
    if (!step) return sessionEnded(reply);
    if (step.register.emailVerified) return reply.redirect('/register/password', 303);
    return showEmailCode(reply, step, {}, {});
  });

  app.post('/register/email-code', { preHandler: csrfProtect }, async (request, reply) => {
    const step = await withEmail(request);
    if (!step) return sessionEnded(reply);
    const { journey, register } = step;
    const email = register.email!;
    if (register.emailVerified) return reply.redirect('/register/password', 303);
    const values = typed(request.body, ['code']);
    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return showEmailCode(reply, step, values, fieldErrors(parsed.error), 400);
    // Only a code sent by email to this address, for this registration, counts.
    const checked = await deps.codes.check(journey.state.code, parsed.data.code, {
      channel: 'email',
      recipient: email,
      subject: 'register:' + email,
      ip: request.ip,
    });
    if (!checked.ok) {
      await journeys.save(reply, journey, journey.state);
      return showEmailCode(reply, step, values, { code: CODE_MESSAGES[checked.error] }, 400);
    }
    delete journey.state.code;
    register.emailVerified = true;
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/register/password', 303);
  });

  app.post('/register/email-code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const step = await withEmail(request);
    if (!step) return sessionEnded(reply);
    if (step.register.emailVerified) return reply.redirect('/register/password', 303);
    const sent = await sendEmailCode(request, step.register.email!);
    // The code sent before still works when no new one could be sent.
    if (!sent.ok) return showEmailCode(reply, step, {}, { code: TOO_MANY_SENDS }, 429);
    step.journey.state.code = sent.value;
    await journeys.save(reply, step.journey, step.journey.state);
    return reply.redirect('/register/email-code', 303);
  });

  // 3. Password.

  app.get('/register/password', async (request, reply) => {
    const step = await withVerifiedEmail(request);
    if (!step) return sessionEnded(reply);
    return renderJourney(reply, step.journey, 'register/password.njk', { errors: {} });
  });

  app.post('/register/password', { preHandler: csrfProtect }, async (request, reply) => {
    const step = await withVerifiedEmail(request);
    if (!step) return sessionEnded(reply);
    const { journey, register } = step;
    // Passwords are never shown again, not even after an error.
    const show = (errors: Record<string, string>) =>
      reply.code(400).send(renderJourney(reply, journey, 'register/password.njk', { errors }));

    const parsed = passwordForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const { password, confirm } = parsed.data;
    const policy = deps.passwords.check(password, { email: register.email });
    if (!policy.ok) return show({ password: PASSWORD_MESSAGES[policy.error] });
    if (confirm === '') return show({ confirm: PASSWORD_CONFIRM_MESSAGES.empty });
    if (confirm !== password) return show({ confirm: PASSWORD_CONFIRM_MESSAGES.mismatch });

    register.passwordHash = await hashPassword(password);
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/register/phone', 303);
  });

  // 4. Mobile phone number.

  app.get('/register/phone', async (request, reply) => {
    const step = await withPassword(request);
    if (!step) return sessionEnded(reply);
    const phone = step.register.phone;
    return renderJourney(reply, step.journey, 'register/phone.njk', {
      values: { phone: phone ? national(phone) : '' },
      errors: {},
    });
  });

  app.post('/register/phone', { preHandler: csrfProtect }, async (request, reply) => {
    const step = await withPassword(request);
    if (!step) return sessionEnded(reply);
    const { journey, register } = step;
    const values = typed(request.body, ['phone']);
    const show = (errors: Record<string, string>, status = 400) =>
      reply.code(status).send(renderJourney(reply, journey, 'register/phone.njk', { values, errors }));

    const parsed = phoneForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const phone = parsed.data.phone;
    const sent = await deps.codes.sendSmsCode(phone, request.ip);
    if (!sent.ok) return show({ phone: TOO_MANY_SENDS }, 429);
    register.phone = phone;
    journey.state.code = sent.value;
    await journeys.save(reply, journey, journey.state);
    return reply.redirect('/register/phone-code', 303);
  });

  // 5. The code sent by text message, then the account.

  function showPhoneCode(
    reply: FastifyReply,
    step: Step,
    values: Record<string, string>,
    errors: Record<string, string>,
    status = 200,
  ) {
    return reply.code(status).send(
      renderJourney(reply, step.journey, 'register/phone-code.njk', {
        phone: maskPhone(step.register.phone!),
        values,
        errors,
      }),
    );
  }

  app.get('/register/phone-code', async (request, reply) => {
    const step = await withPhone(request);
    if (!step) return sessionEnded(reply);
    return showPhoneCode(reply, step, {}, {});
  });

  app.post('/register/phone-code', { preHandler: csrfProtect }, async (request, reply) => {
    const step = await withPhone(request);
    if (!step) return sessionEnded(reply);
    const { journey, register } = step;
    const email = register.email!;
    const phone = register.phone!;
    const values = typed(request.body, ['code']);
    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return showPhoneCode(reply, step, values, fieldErrors(parsed.error), 400);
    const checked = await deps.codes.check(journey.state.code, parsed.data.code, {
      channel: 'sms',
      recipient: phone,
      subject: 'register:' + email,
      ip: request.ip,
    });
    if (!checked.ok) {
      await journeys.save(reply, journey, journey.state);
      return showPhoneCode(reply, step, values, { code: CODE_MESSAGES[checked.error] }, 400);
    }

    // One insert: the account exists complete, or (the email taken meanwhile) not at all.
    const account = await createAccount(deps.db, {
      email,
      password_hash: register.passwordHash!,
      phone_number: phone,
      phone_number_verified: true,
      proofing_level: 'P0',
    });
    delete journey.state.code;
    delete journey.state.register;
    if (!account) {
      await journeys.save(reply, journey, journey.state);
      return renderJourney(reply, journey, 'register/already-exists.njk', { email });
    }
    await deps.audit.record({ code: AUDIT_EVENTS.ACCOUNT_CREATED, accountId: account.id, ip: request.ip });
    journey.state.signIn = { accountId: account.id, credentials: ['Cp', 'Cd'], level: 'P0' };
    // A supplier that needs a proved identity: offer to prove it now (the new account is P0).
    if (proofingNeeded(journey.state)) {
      await journeys.save(reply, journey, journey.state);
      return reply.redirect('/sign-in/prove-identity', 303);
    }
    return finishSignIn(deps, request, reply, journey);
  });

  app.post('/register/phone-code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const step = await withPhone(request);
    if (!step) return sessionEnded(reply);
    const sent = await deps.codes.sendSmsCode(step.register.phone!, request.ip);
    if (!sent.ok) return showPhoneCode(reply, step, {}, { code: TOO_MANY_SENDS }, 429);
    step.journey.state.code = sent.value;
    await journeys.save(reply, step.journey, step.journey.state);
    return reply.redirect('/register/phone-code', 303);
  });
}
