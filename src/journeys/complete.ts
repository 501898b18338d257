// Finishing a sign-in: back to the supplier through oidc-provider when the
// journey serves an authorization, otherwise to the account pages.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../audit/events.js';
import { findAccountById, recordServiceUsed, type Account } from '../store/accounts.js';
import { findSupplierCached } from '../store/suppliers.js';
import { grantActingFor } from '../oidc/acting-for.js';
import { usableDelegations } from '../oidc/delegations-claim.js';
import {
  firstVectorMet,
  levelAtLeast,
  parseVtr,
  PROOFING_LEVELS,
  type Credential,
  type ProofingLevel,
} from '../domain/vectors-of-trust.js';
import { renderErrorPage } from '../web/errors.js';
import { allowFormActionTo } from '../web/security.js';
import { render } from '../web/views.js';
import type { JourneyDeps } from './deps.js';
import { recheckDemographics } from './prove-identity/recheck.js';
import type { Journey, JourneyState } from './state.js';

/** The credentials the journey still has to ask for, or undefined when the sign-in may finish. */
export function signInSatisfied(state: JourneyState): boolean {
  const s = state.signIn;
  if (!s) return false;
  const credentials = new Set<Credential>(s.credentials);
  if (!state.interaction) {
    // The account pages: a password and a second factor.
    return credentials.has('Cp') && (credentials.has('Cd') || credentials.has('Ck') || credentials.has('Cm'));
  }
  const requested = parseVtr(JSON.stringify(state.interaction.vtr));
  if (!requested.ok) return false;
  return firstVectorMet(requested.value, { level: s.level, credentials }) !== undefined;
}

/** Has the person shown a second factor (a code, the app, a remembered browser, a passkey)? */
export function hasSecondFactor(credentials: readonly Credential[]): boolean {
  return credentials.some((c) => c === 'Cd' || c === 'Ck' || c === 'Cm');
}

/**
 * The level the person must prove to meet a requested vector whose
 * credentials they have all shown (the lowest such level), or undefined when
 * there is nothing to prove: a vector is met, no supplier is waiting, or
 * credentials are still missing.
 */
export function proofingNeeded(state: JourneyState): ProofingLevel | undefined {
  const s = state.signIn;
  if (!s || !state.interaction) return undefined;
  const requested = parseVtr(JSON.stringify(state.interaction.vtr));
  if (!requested.ok) return undefined;
  const credentials = new Set<Credential>(s.credentials);
  if (firstVectorMet(requested.value, { level: s.level, credentials })) return undefined;
  const shown = requested.value.filter((v) => v.credentials.every((c) => credentials.has(c)));
  return PROOFING_LEVELS.find(
    (level) => !levelAtLeast(s.level, level) && shown.some((v) => v.level === level),
  );
}

/** Renders a journey page; when the page's form may end at the supplier, its redirect URI is allowed as a form target. */
export function renderJourney(
  reply: FastifyReply,
  journey: Journey | undefined,
  template: string,
  context: Record<string, unknown>,
): string {
  const redirectUri = journey?.state.interaction?.redirectUri;
  if (redirectUri) allowFormActionTo(reply, [redirectUri]);
  return render(reply, template, { interaction: journey?.state.interaction, ...context });
}

export function sessionEnded(reply: FastifyReply): FastifyReply {
  return reply.send(renderErrorPage(reply, 'sessionEnded'));
}

/** Sends the person on once the sign-in meets what was asked. */
export async function finishSignIn(
  deps: JourneyDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  journey: Journey,
  /** The person's account as the caller has just read it, if it has. */
  account?: Account,
): Promise<FastifyReply> {
  const { state } = journey;
  const signIn = state.signIn;
  if (!signIn) return reply.redirect('/sign-in', 303);
  // Once per sign-in: is the proved identity still the national record's? A
  // suspended level may no longer meet what the supplier asked for: then the
  // person is offered to prove it again before going back.
  if (!signIn.rechecked) {
    signIn.rechecked = true;
    const level = await recheckDemographics(
      deps,
      signIn.accountId,
      {
        ip: request.ip,
        clientId: state.interaction?.clientId,
      },
      account,
    );
    if (level !== signIn.level) {
      signIn.level = level;
      if (state.interaction && !signInSatisfied(state)) {
        await deps.journeys.save(reply, journey, state);
        return reply.redirect(proofingNeeded(state) ? '/sign-in/prove-identity' : '/sign-in/continue', 303);
      }
    }
  }
  const now = Math.floor(Date.now() / 1000);
  state.account = { accountId: signIn.accountId, lastSeen: Date.now() };
  const interaction = state.interaction;
  if (!interaction) {
    delete state.signIn;
    await deps.journeys.save(reply, journey, state);
    await deps.audit.record({
      code: AUDIT_EVENTS.SIGN_IN_COMPLETE,
      accountId: signIn.accountId,
      ip: request.ip,
    });
    return reply.redirect('/account', 303);
  }
  if (!(await mayUseSupplier(deps, signIn.accountId, interaction.clientId))) {
    return abandonInteraction(deps, reply, journey, {
      error: 'access_denied',
      error_description: 'sandpit suppliers may only sign in test people',
    });
  }
  const provider = deps.provider();
  const pending = await provider.Interaction.find(interaction.uid);
  if (!pending) {
    delete state.interaction;
    await deps.journeys.save(reply, journey, state);
    return reply.code(400).send(renderErrorPage(reply, 'sessionEnded'));
  }
  if (signIn.actingFor === undefined && (await mayActForOthers(deps, signIn.accountId, pending.params))) {
    await deps.journeys.save(reply, journey, state);
    return reply.redirect(ACTING_FOR_PATH, 303);
  }
  pending.result = {
    login: { accountId: signIn.accountId, amr: [...new Set(signIn.credentials)], ts: now, remember: true },
    // An answered chooser starts a grant of its own, so no earlier answer carries over.
    ...(signIn.actingFor !== undefined && {
      consent: {
        grantId: await grantActingFor(provider, deps.adapter, {
          accountId: signIn.accountId,
          clientId: interaction.clientId,
          grantorId: signIn.actingFor === ACTING_FOR_SELF ? undefined : signIn.actingFor,
        }),
      },
    }),
  };
  await pending.save(Math.max(1, (pending.exp ?? now + 60) - now));
  await recordServiceUsed(deps.db, signIn.accountId, interaction.clientId);
  await deps.audit.record({
    code: AUDIT_EVENTS.SIGN_IN_COMPLETE,
    accountId: signIn.accountId,
    clientId: interaction.clientId,
    ip: request.ip,
    details: {
      credentials: signIn.credentials,
      ...(signIn.actingFor !== undefined && { actingFor: signIn.actingFor }),
    },
  });
  delete state.interaction;
  delete state.signIn;
  await deps.journeys.save(reply, journey, state);
  return reply.redirect(pending.returnTo, 303);
}

/** Where a delegate answers "whose care are you managing today?" (sign-in/acting-for.ts). */
export const ACTING_FOR_PATH = '/sign-in/acting-for';
/** The chooser's answer for the person's own care. */
export const ACTING_FOR_SELF = 'self';

/** The supplier asked for `delegations` and the person can act for someone today: ask whose care. */
async function mayActForOthers(
  deps: JourneyDeps,
  accountId: string,
  params: Record<string, unknown>,
): Promise<boolean> {
  const scopes = typeof params.scope === 'string' ? params.scope.split(' ') : [];
  if (!scopes.includes('delegations')) return false;
  const account = await findAccountById(deps.db, accountId);
  return account !== undefined && (await usableDelegations(deps.db, account)).length > 0;
}

/** A sandpit (test) supplier may only ever see test people; every other supplier anyone. */
async function mayUseSupplier(deps: JourneyDeps, accountId: string, clientId: string): Promise<boolean> {
  const supplier = await findSupplierCached(deps.db, clientId);
  if (!supplier?.metadata.sandpit) return true;
  return (await findAccountById(deps.db, accountId))?.test_person === true;
}

/** Tells the supplier the person could not, or chose not to, continue. */
export async function abandonInteraction(
  deps: JourneyDeps,
  reply: FastifyReply,
  journey: Journey,
  error: { error: string; error_description: string },
): Promise<FastifyReply> {
  const interaction = journey.state.interaction;
  if (!interaction) return reply.redirect('/account', 303);
  const pending = await deps.provider().Interaction.find(interaction.uid);
  delete journey.state.interaction;
  delete journey.state.signIn;
  await deps.journeys.save(reply, journey, journey.state);
  if (!pending) return reply.code(400).send(renderErrorPage(reply, 'sessionEnded'));
  const now = Math.floor(Date.now() / 1000);
  pending.result = error;
  await pending.save(Math.max(1, (pending.exp ?? now + 60) - now));
  return reply.redirect(pending.returnTo, 303);
}

export { render };
