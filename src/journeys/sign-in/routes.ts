// Sign in: email and password (Cp), then a second factor: a code by text
// message (Cd, or a remembered browser), or an authenticator app (Ck).
// The whole guard chain of each page is visible here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { maskPhone } from '../../domain/contact-details.js';
import { parseVtr, type Credential } from '../../domain/vectors-of-trust.js';
import { findAccountById, findAccountByEmail, type Account } from '../../store/accounts.js';
import { csrfProtect } from '../../web/security.js';
import { WRONG_APP_CODE, verifyAuthenticatorApp } from '../authenticator-app.js';
import { CODE_MESSAGES, toCodePage } from '../codes.js';
import {
  finishSignIn,
  hasSecondFactor,
  proofingNeeded,
  renderJourney,
  sessionEnded,
  signInSatisfied,
  abandonInteraction,
} from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { decoyHash, passwordMatches } from '../passwords.js';
import { isRememberedDevice, rememberDevice } from '../remembered-device.js';
import type { Journey } from '../state.js';
import { registerActingForRoutes } from './acting-for.js';
import { codeForm, fieldErrors, signInForm } from './validation.js';

const WRONG_DETAILS = 'Enter a correct email address and password';

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** Second factors the requested vectors would accept, given the level; the account pages accept any. */
function acceptedSecondFactors(journey: Journey): Set<Credential> {
  const interaction = journey.state.interaction;
  if (!interaction) return new Set(['Cd', 'Ck']);
  const parsed = parseVtr(JSON.stringify(interaction.vtr));
  const out = new Set<Credential>();
  if (parsed.ok) for (const v of parsed.value) for (const c of v.credentials) if (c !== 'Cp') out.add(c);
  return out;
}

export function registerSignInRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  const { journeys } = deps;
  registerActingForRoutes(app, deps);

  /**
   * After each credential: finish, offer to prove identity (once the person
   * has shown a second factor and only their level is short), or ask for the
   * next factor.
   */
  async function next(
    request: FastifyRequest,
    reply: FastifyReply,
    journey: Journey,
    account: Account,
  ): Promise<FastifyReply> {
    const signIn = journey.state.signIn!;
    // Locked by support since the sign-in began (or a session that was signed in before).
    if (account.locked_at) return lockedPage(reply, journey);
    if (signInSatisfied(journey.state)) return finishSignIn(deps, request, reply, journey, account);
    if (hasSecondFactor(signIn.credentials) && proofingNeeded(journey.state)) {
      await journeys.save(reply, journey, journey.state);
      return reply.redirect('/sign-in/prove-identity', 303);
    }
    const accepted = acceptedSecondFactors(journey);
    if (
      accepted.has('Cd') &&
      !signIn.credentials.includes('Cd') &&
      (await isRememberedDevice(deps.db, request, account.id))
    ) {
      signIn.credentials.push('Cd');
      return next(request, reply, journey, account);
    }
    if (accepted.has('Ck') && account.totp_secret) {
      await journeys.save(reply, journey, journey.state);
      return reply.redirect('/sign-in/authenticator-app', 303);
    }
    return sendTextCode(request, reply, journey, account);
  }

  async function sendTextCode(
    request: FastifyRequest,
    reply: FastifyReply,
    journey: Journey,
    account: Account,
  ): Promise<FastifyReply> {
    const sent = await deps.codes.sendSmsCode(account.phone_number, request.ip, account.id);
    return toCodePage(journeys, reply, journey, sent, '/sign-in/text-code');
  }

  /**
   * Locked by support: says so, and no more (why is for support to tell).
   * Whatever this journey had shown so far is forgotten.
   */
  async function lockedPage(reply: FastifyReply, journey: Journey): Promise<FastifyReply> {
    delete journey.state.signIn;
    delete journey.state.code;
    await journeys.save(reply, journey, journey.state);
    return reply.code(403).send(renderJourney(reply, journey, 'sign-in/locked.njk', {}));
  }

  /** The signed-in-so-far account of this journey, or undefined when the journey is lost. */
  async function signingIn(journey: Journey | undefined): Promise<Account | undefined> {
    const id = journey?.state.signIn?.accountId;
    return id ? findAccountById(deps.db, id) : undefined;
  }

  app.get('/sign-in', async (request, reply) => {
    const journey = await journeys.load(request);
    return renderJourney(reply, journey, 'sign-in/email-password.njk', { values: {}, errors: {} });
  });

  app.post('/sign-in', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = (await journeys.load(request)) ?? (await journeys.save(reply, undefined, {}));
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { email: typeof body.email === 'string' ? body.email : '' };
    const show = (errors: Record<string, string>, status = 400) =>
      reply
        .code(status)
        .send(renderJourney(reply, journey, 'sign-in/email-password.njk', { values, errors }));

    const parsed = signInForm.safeParse(body);
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const email = parsed.data.email.toLowerCase();

    const ipLimit = await deps.limits.check('passwordAttemptsPerIp', request.ip);
    const emailLimit = await deps.limits.check('passwordFailuresPerAccount', email);
    if (!ipLimit.allowed || !emailLimit.allowed) {
      await deps.audit.record({
        code: AUDIT_EVENTS.SIGN_IN_LOCKED,
        ip: request.ip,
        details: { byIp: !ipLimit.allowed },
      });
      const wait = Math.max(ipLimit.retryAfterSeconds, emailLimit.retryAfterSeconds);
      return show({ email: `You have tried to log in too many times. Try again in ${minutes(wait)}` }, 429);
    }

    const account = await findAccountByEmail(deps.db, email);
    // Unknown emails cost a hash check too, so timing does not say which emails have accounts.
    const good = account
      ? await passwordMatches(account.password_hash, parsed.data.password)
      : (await passwordMatches(await decoyHash(), parsed.data.password)) && false;
    await deps.limits.hit('passwordAttemptsPerIp', request.ip);
    if (!account || !good) {
      const failures = await deps.limits.hit('passwordFailuresPerAccount', email);
      await deps.audit.record({
        code: AUDIT_EVENTS.SIGN_IN_PASSWORD_FAILED,
        accountId: account?.id,
        ip: request.ip,
      });
      if (failures.retryAfterSeconds > 0) {
        await deps.audit.record({
          code: AUDIT_EVENTS.SIGN_IN_LOCKED,
          accountId: account?.id,
          ip: request.ip,
        });
        return show(
          {
            email: `You have tried to log in too many times. Try again in ${minutes(failures.retryAfterSeconds)}`,
          },
          429,
        );
      }
      return show({ email: WRONG_DETAILS });
    }
    await deps.limits.reset('passwordFailuresPerAccount', email);
    await deps.audit.record({
      code: AUDIT_EVENTS.SIGN_IN_PASSWORD_OK,
      accountId: account.id,
      ip: request.ip,
    });
    // A new sign-in starts clean: no code or progress from another step carries over.
    delete journey.state.code;
    // Only someone who knows the password learns the account is locked, or must get a new password.
    if (account.locked_at) return lockedPage(reply, journey);
    if (account.password_reset_required) {
      delete journey.state.signIn;
      await journeys.save(reply, journey, journey.state);
      return renderJourney(reply, journey, 'sign-in/new-password-needed.njk', { email: account.email });
    }
    journey.state.signIn = { accountId: account.id, credentials: ['Cp'], level: account.proofing_level };
    return next(request, reply, journey, account);
  });

  /** Arrived already signed in (single sign-on) but short of what the supplier asked for. */
  app.get('/sign-in/continue', async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await signingIn(journey);
    if (!journey || !account) return sessionEnded(reply);
    return next(request, reply, journey, account);
  });

  app.get('/sign-in/text-code', async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await signingIn(journey);
    if (!journey || !account) return sessionEnded(reply);
    const limited = (request.query as Record<string, string>).limited === '1';
    return renderJourney(reply, journey, 'sign-in/text-code.njk', {
      phone: maskPhone(account.phone_number),
      values: {},
      errors: limited
        ? { code: 'You have asked for too many codes. Wait 15 minutes and then request a new code' }
        : {},
      canUseApp: Boolean(account.totp_secret) && acceptedSecondFactors(journey).has('Ck'),
    });
  });

  app.post('/sign-in/text-code', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await signingIn(journey);
    if (!journey || !account) return sessionEnded(reply);
    const parsed = codeForm.safeParse(request.body ?? {});
    const show = (errors: Record<string, string>) =>
      reply.code(400).send(
        renderJourney(reply, journey, 'sign-in/text-code.njk', {
          phone: maskPhone(account.phone_number),
          values: {},
          errors,
          canUseApp: Boolean(account.totp_secret) && acceptedSecondFactors(journey).has('Ck'),
        }),
      );
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
      });
      return show({ code: CODE_MESSAGES[checked.error] });
    }
    delete journey.state.code;
    journey.state.signIn!.credentials.push('Cd');
    await deps.audit.record({
      code: AUDIT_EVENTS.SIGN_IN_SECOND_FACTOR_OK,
      accountId: account.id,
      ip: request.ip,
      details: { factor: 'sms' },
    });
    if (parsed.data.remember === 'yes') {
      await rememberDevice(deps.db, reply, account.id);
      await deps.audit.record({
        code: AUDIT_EVENTS.DEVICE_REMEMBERED,
        accountId: account.id,
        ip: request.ip,
      });
    }
    return next(request, reply, journey, account);
  });

  app.post('/sign-in/text-code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await signingIn(journey);
    if (!journey || !account) return sessionEnded(reply);
    return sendTextCode(request, reply, journey, account);
  });

  app.get('/sign-in/authenticator-app', async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await signingIn(journey);
    if (!journey || !account?.totp_secret) return sessionEnded(reply);
    return renderJourney(reply, journey, 'sign-in/authenticator-app.njk', {
      values: {},
      errors: {},
      canUseText: acceptedSecondFactors(journey).has('Cd'),
    });
  });

  app.post('/sign-in/authenticator-app', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await signingIn(journey);
    if (!journey || !account?.totp_secret) return sessionEnded(reply);
    const parsed = codeForm.safeParse(request.body ?? {});
    const show = (errors: Record<string, string>, status = 400) =>
      reply.code(status).send(
        renderJourney(reply, journey, 'sign-in/authenticator-app.njk', {
          values: {},
          errors,
          canUseText: acceptedSecondFactors(journey).has('Cd'),
        }),
      );
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const checked = await verifyAuthenticatorApp(deps, account, parsed.data.code, { ip: request.ip });
    if (!checked.ok) {
      return checked.error === 'too_many'
        ? show({ code: CODE_MESSAGES.too_many }, 429)
        : show({ code: WRONG_APP_CODE });
    }
    journey.state.signIn!.credentials.push('Ck');
    return next(request, reply, journey, account);
  });

  /** Use a text message instead of the app. */
  app.post('/sign-in/authenticator-app/use-text', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    const account = await signingIn(journey);
    if (!journey || !account) return sessionEnded(reply);
    return sendTextCode(request, reply, journey, account);
  });

  /** From the locked page: back to the supplier, which hears only that the person did not log in. */
  app.post('/sign-in/locked', { preHandler: csrfProtect }, async (request, reply) => {
    const journey = await journeys.load(request);
    if (!journey?.state.interaction) return sessionEnded(reply);
    return abandonInteraction(deps, reply, journey, {
      error: 'access_denied',
      error_description: 'the person did not log in',
    });
  });

  /**
   * Step-up: the supplier asked for a higher proofing level than the person
   * has. The routes to it are offered here, inline; proving ends back at the
   * supplier with the new level. Or the person stops for now (and may prove
   * who they are later, from their account): the supplier hears access_denied.
   */
  async function stepUp(request: FastifyRequest) {
    const journey = await journeys.load(request);
    const signIn = journey?.state.signIn;
    if (!journey?.state.interaction || !signIn || !hasSecondFactor(signIn.credentials)) return undefined;
    const level = proofingNeeded(journey.state);
    const account = level ? await findAccountById(deps.db, signIn.accountId) : undefined;
    if (!level || !account || account.locked_at) return undefined;
    return { journey, level, account };
  }

  app.get('/sign-in/prove-identity', async (request, reply) => {
    const step = await stepUp(request);
    if (!step) return sessionEnded(reply);
    return renderJourney(reply, step.journey, 'sign-in/prove-identity.njk', {
      level: step.level,
      // A suspended level (a re-check at sign-in): "prove it again", never why.
      again: step.account.proofing_suspended_at !== null,
      errors: {},
    });
  });

  app.post('/sign-in/prove-identity', { preHandler: csrfProtect }, async (request, reply) => {
    const step = await stepUp(request);
    if (!step) return sessionEnded(reply);
    return abandonInteraction(deps, reply, step.journey, {
      error: 'access_denied',
      error_description: `the person has not proved their identity to ${step.level}`,
    });
  });
}
