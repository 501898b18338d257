// Proving who you are. To P9 with GP online services details (gp-details.ts),
// and to P5 here: the person's NHS number (if
// they know it), name, date of birth and postcode matched to exactly one
// national demographics (PDS) record, which binds that NHS number to the
// account. It works from the account pages (signed in) and inline in a
// supplier's sign-in when the supplier asked for a level the person does not
// have yet (step-up: /sign-in/prove-identity offers the routes, and proving
// ends back at the supplier with the new level). The whole guard chain of
// each page is visible here.
//
//   /prove-identity           from the account: the routes, and where the person is
//   /prove-identity/details   the form, and the match
//   /prove-identity/gp-details  P9 with GP online services details (./gp-details.ts)
//   /prove-identity/photo-id    P9 with photo ID and a video selfie (./photo-id.ts)
//   /prove-identity/done      proved: back to the account, or on to the supplier
//
// Outcomes of a match: exactly one living person's record whose NHS number no
// other account holds binds it (one transaction, with its evidence row).
// No match, several matches and a deceased person's record read alike to the
// person (the deceased one is audited as a fraud signal); a number another
// account holds is said plainly, and its owner is emailed; PDS being
// unreachable decides nothing. Failed matches count against limits per
// account and per IP address.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PatientSummary, PdsError, PdsSearchResult } from '../../adapters/pds/index.js';
import type { Message } from '../../adapters/notify/port.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import {
  failedRules,
  formatPostcode,
  matchFailureMessage,
  matchOne,
  MATCH_RULES,
  type MatchFailure,
} from '../../domain/demographics-match.js';
import { normaliseUkMobile } from '../../domain/contact-details.js';
import type { ProofingLevel } from '../../domain/vectors-of-trust.js';
import { err, ok, type Result } from '../../domain/result.js';
import {
  bindNationalRecord,
  findAccountById,
  recordProofingAttempt,
  type Account,
} from '../../store/accounts.js';
import { scoreDemographicMatch } from '../../domain/gpg45-routes.js';
import { flagFraudSignal } from '../../store/id-checks.js';
import type { ProofingRoute } from '../../store/schema.js';
import { csrfProtect } from '../../web/security.js';
import { signedInAccount } from '../account/routes.js';
import {
  finishSignIn,
  hasSecondFactor,
  proofingNeeded,
  renderJourney,
  sessionEnded,
  signInSatisfied,
} from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { typed } from '../form-fields.js';
import type { Journey } from '../state.js';
import { gpg45Evidence, registerGpDetailsRoutes, type FormContext } from './gp-details.js';
import { PHOTO_ID_AFTER_P5_KEY, photoIdStatus, registerPhotoIdRoutes } from './photo-id.js';
import { DETAILS_FIELDS, parseDetails, type Details } from './validation.js';

const ROUTE = 'demographics';
/** Journey-state key: proved in this journey (for the done page). */
const PROVED_KEY = 'proved';

export interface Proving {
  journey: Journey;
  account: Account;
  /** Present when a supplier's sign-in is waiting; `level` is what it still needs, if anything. */
  stepUp?: { level: ProofingLevel | undefined; clientName: string };
}

/** How long to wait, in words. */
export function waitText(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

/** What came of one attempt, for the page. */
type Outcome =
  | { kind: 'matched'; level: ProofingLevel }
  | { kind: 'failed'; reason: MatchFailure | 'different-record' }
  | { kind: 'in-use' }
  | { kind: 'unavailable' };

export function registerProveIdentityRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  const { journeys } = deps;

  /**
   * Who is proving: the person in a supplier's sign-in (password and a second
   * factor shown, the supplier waiting), or the person signed in to the
   * account pages (the idle clock restarted). A string says where to send
   * anyone else.
   */
  async function proving(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<Proving | 'ended' | 'sign-in'> {
    const journey = await journeys.load(request);
    if (!journey) return 'sign-in';
    const { state } = journey;
    if (state.interaction && state.signIn && hasSecondFactor(state.signIn.credentials)) {
      const account = await findAccountById(deps.db, state.signIn.accountId);
      if (!account || account.locked_at) return 'ended';
      return {
        journey,
        account,
        stepUp: { level: proofingNeeded(state), clientName: state.interaction.clientName },
      };
    }
    const accountId = signedInAccount(journey);
    const account = accountId ? await findAccountById(deps.db, accountId) : undefined;
    if (!account || account.locked_at) return state.interaction ? 'ended' : 'sign-in';
    state.account = { accountId: account.id, lastSeen: Date.now() };
    await journeys.save(reply, journey, state);
    return { journey, account };
  }

  const elsewhere = (reply: FastifyReply, where: 'ended' | 'sign-in') =>
    where === 'ended' ? sessionEnded(reply) : reply.redirect('/sign-in', 303);

  /** The P5 form is for people below P5 (or suspended), or a supplier waiting for exactly P5. */
  const mayProveP5 = (p: Proving): boolean =>
    p.account.proofing_level === 'P0' &&
    // A supplier waiting for P9: only on the way to photo ID, which compares with the record (./photo-id.ts).
    (!p.stepUp || p.stepUp.level === 'P5' || p.journey.state[PHOTO_ID_AFTER_P5_KEY] === true);

  const startOf = (p: Proving) => (p.stepUp ? '/sign-in/prove-identity' : '/prove-identity');

  function page(
    reply: FastifyReply,
    p: Proving,
    template: string,
    context: Record<string, unknown>,
    status = 200,
  ): FastifyReply {
    return reply.code(status).send(
      renderJourney(reply, p.journey, template, {
        stepUp: Boolean(p.stepUp),
        clientName: p.stepUp?.clientName,
        backHref: startOf(p),
        ...context,
      }),
    );
  }

  /** A form page with a date of birth: values kept, errors linked to the first date part at fault. */
  function formPage(
    reply: FastifyReply,
    p: Proving,
    template: string,
    context: FormContext,
    status = 200,
  ): FastifyReply {
    const dateParts = context.dateParts ?? [];
    return page(
      reply,
      p,
      template,
      {
        values: context.values ?? {},
        errors: context.errors ?? {},
        problem: context.problem,
        dateError: Object.fromEntries(dateParts.map((part) => [part, true])),
        errorHrefs: { birthdate: `#birthdate-${dateParts[0] ?? 'day'}` },
      },
      status,
    );
  }

  const detailsPage = (reply: FastifyReply, p: Proving, context: FormContext, status = 200) =>
    formPage(reply, p, 'prove-identity/details.njk', context, status);

  /** Blocked by either limit: the seconds to wait. */
  async function blockedFor(request: FastifyRequest, account: Account): Promise<number> {
    const [byAccount, byIp] = await Promise.all([
      deps.limits.check('proofingAttemptsPerAccount', account.id),
      deps.limits.check('proofingAttemptsPerIp', request.ip),
    ]);
    return byAccount.allowed && byIp.allowed
      ? 0
      : Math.max(byAccount.retryAfterSeconds, byIp.retryAfterSeconds);
  }

  async function tooMany(
    request: FastifyRequest,
    reply: FastifyReply,
    p: Proving,
    seconds: number,
    route: ProofingRoute = ROUTE,
  ) {
    await deps.audit.record({
      code: AUDIT_EVENTS.PROOFING_LIMITED,
      accountId: p.account.id,
      clientId: p.journey.state.interaction?.clientId,
      ip: request.ip,
      details: { route },
    });
    await flagFraudSignal(deps.db, {
      accountId: p.account.id,
      signal: 'too-many-attempts',
      summary: { route },
    });
    return page(reply, p, 'prove-identity/too-many.njk', { wait: waitText(seconds) }, 429);
  }

  /** Sends a notice; the outcome stands whatever happens to the email, so a failed send is logged. */
  async function notify(request: FastifyRequest, message: Message): Promise<void> {
    try {
      await deps.notifier.send(message);
    } catch (e) {
      request.log.warn({ err: e, type: message.type }, 'could not send a proving-identity notice');
    }
  }

  /** PDS candidates for what the person typed: by NHS number when given (following a supersession), else by details. */
  async function candidates(details: Details): Promise<Result<PdsSearchResult, PdsError>> {
    try {
      return details.nhsNumber
        ? await deps.demographics.search({ nhsNumber: details.nhsNumber })
        : await deps.demographics.search({
            familyName: details.familyName,
            givenNames: details.givenName.split(' '),
            birthDate: details.birthDate,
            postcode: formatPostcode(details.postcode),
          });
    } catch {
      return err({ kind: 'unavailable', reason: 'bad-response' });
    }
  }

  /**
   * The NHS numbers of the matched record. An account already bound to a
   * number of this same record (suspended after a supersession) may prove
   * again: when the search did not say the bound number leads here, ask PDS.
   */
  async function recordNumbers(
    account: Account,
    record: PatientSummary,
  ): Promise<Result<string[], PdsError>> {
    const numbers = [record.nhsNumber, ...record.previousNhsNumbers];
    if (!account.nhs_number) return ok(numbers);
    const bound = deps.sealer.open(account.nhs_number);
    if (numbers.includes(bound)) return ok(numbers);
    try {
      const read = await deps.demographics.read(bound);
      if (!read.ok) return read;
      if (read.value.kind === 'superseded' && read.value.currentNhsNumber === record.nhsNumber)
        return ok([...numbers, bound]);
      return ok(numbers);
    } catch {
      return err({ kind: 'unavailable', reason: 'bad-response' });
    }
  }

  /** Tries the match and acts on it: binds, or records and counts the failure. */
  async function attempt(request: FastifyRequest, p: Proving, details: Details): Promise<Outcome> {
    const { account } = p;
    const clientId = p.journey.state.interaction?.clientId;
    const searchedBy = details.nhsNumber ? 'nhs-number' : 'demographics';
    const unavailable = async (error: PdsError): Promise<Outcome> => {
      await deps.audit.record({
        code: AUDIT_EVENTS.PROOFING_UNAVAILABLE,
        accountId: account.id,
        clientId,
        ip: request.ip,
        details: { route: ROUTE, kind: error.kind, reason: error.reason },
      });
      if (error.kind === 'rejected')
        request.log.error(
          { pds: error },
          'PDS refused a proving-identity request (our request or configuration)',
        );
      return { kind: 'unavailable' };
    };
    const failed = async (
      reason: MatchFailure | 'different-record' | 'nhs-number-in-use',
      evidence: Record<string, unknown>,
      audit: Record<string, unknown> = {},
    ): Promise<void> => {
      const pds =
        reason === 'no-match' || reason === 'ambiguous' || reason === 'deceased' ? reason : 'matched';
      const gpg45 = gpg45Evidence(scoreDemographicMatch({ pds }));
      const attemptId = await recordProofingAttempt(deps.db, {
        accountId: account.id,
        route: ROUTE,
        outcome: reason,
        evidence: { searchedBy, nhsNumberGiven: Boolean(details.nhsNumber), ...evidence, gpg45 },
      });
      await deps.limits.hit('proofingAttemptsPerAccount', account.id);
      await deps.limits.hit('proofingAttemptsPerIp', request.ip);
      const code =
        reason === 'deceased'
          ? AUDIT_EVENTS.PROOFING_DECEASED_MATCH
          : reason === 'nhs-number-in-use'
            ? AUDIT_EVENTS.PROOFING_NHS_NUMBER_IN_USE
            : AUDIT_EVENTS.PROOFING_MATCH_FAILED;
      await deps.audit.record({
        code,
        accountId: account.id,
        clientId,
        ip: request.ip,
        details: {
          route: ROUTE,
          reason,
          searchedBy,
          ...(reason === 'deceased' ? { fraudSignal: true } : {}),
          ...audit,
        },
      });
      if (reason === 'deceased' || reason === 'nhs-number-in-use')
        await flagFraudSignal(deps.db, {
          accountId: account.id,
          signal: reason === 'deceased' ? 'deceased-match' : 'nhs-number-in-use',
          proofingAttemptId: attemptId,
          summary: { route: ROUTE, outcome: reason, searchedBy, gpg45, otherAccountId: audit.ownerAccountId },
        });
    };

    const found = await candidates(details);
    if (!found.ok) return unavailable(found.error);
    const match = matchOne(found.value, details.claim);
    if (!match.ok) {
      const only = found.value.patients.length === 1 ? found.value.patients[0] : undefined;
      await failed(match.error, {
        candidates: found.value.patients.length,
        tooManyMatches: found.value.tooManyMatches,
        // Which rules a single candidate failed (internal: support and audit only).
        ...(only && match.error === 'no-match' ? { failedRules: failedRules(only, details.claim) } : {}),
        ...(only && match.error === 'deceased'
          ? { recordHash: deps.sealer.lookupHash(only.nhsNumber), pdsVersion: only.versionId }
          : {}),
      });
      return { kind: 'failed', reason: match.error };
    }

    const record = match.value.record;
    const numbers = await recordNumbers(account, record);
    if (!numbers.ok) return unavailable(numbers.error);
    const nhsNumberHash = deps.sealer.lookupHash(record.nhsNumber);
    const mobile = record.phone ? normaliseUkMobile(record.phone) : undefined;
    const bound = await bindNationalRecord(
      deps.db,
      account.id,
      {
        sealedNhsNumber: deps.sealer.seal(record.nhsNumber),
        nhsNumberHash,
        recordHashes: numbers.value.map((n) => deps.sealer.lookupHash(n)),
        familyName: record.familyName ?? null,
        givenName: record.givenNames.length ? record.givenNames.join(' ') : null,
        birthdate: record.birthDate ?? null,
        gpOdsCode: record.gpOdsCode ?? null,
        phoneMatched: mobile?.ok === true && mobile.value === account.phone_number,
      },
      {
        route: ROUTE,
        level: 'P5',
        evidence: {
          searchedBy,
          nhsNumberGiven: Boolean(details.nhsNumber),
          matched: MATCH_RULES.filter((r) => r.applies === 'always' || details.nhsNumber).map((r) => r.field),
          nhsNumberHash,
          pdsVersion: record.versionId ?? null,
          supersededNumberFollowed: Boolean(match.value.supersededNhsNumber),
          ...(match.value.supersededNhsNumber
            ? { supersededNhsNumberHash: deps.sealer.lookupHash(match.value.supersededNhsNumber) }
            : {}),
          gpg45: gpg45Evidence(scoreDemographicMatch({ pds: 'matched' })),
        },
      },
    );
    if (bound.ok) {
      await deps.limits.reset('proofingAttemptsPerAccount', account.id);
      await deps.audit.record({
        code: AUDIT_EVENTS.IDENTITY_PROVED,
        accountId: account.id,
        clientId,
        ip: request.ip,
        details: {
          route: ROUTE,
          level: 'P5',
          attemptId: bound.attemptId,
          ...(bound.level !== 'P5' ? { levelNow: bound.level } : {}),
          ...(bound.restored ? { suspensionCleared: true } : {}),
        },
      });
      await notify(request, {
        type: 'email-identity-proved',
        to: account.email,
        level: bound.level === 'P9' ? 'P9' : 'P5',
      });
      return { kind: 'matched', level: bound.level };
    }
    if (bound.reason === 'nhs-number-in-use') {
      await failed('nhs-number-in-use', { nhsNumberHash }, { ownerAccountId: bound.ownerId });
      const owner = await findAccountById(deps.db, bound.ownerId);
      if (owner) await notify(request, { type: 'email-nhs-number-in-use', to: owner.email });
      return { kind: 'in-use' };
    }
    if (bound.reason === 'different-record') {
      await failed('different-record', { nhsNumberHash });
      return { kind: 'failed', reason: 'different-record' };
    }
    return { kind: 'unavailable' };
  }

  // Where the person is, and the routes (from the account).

  app.get('/prove-identity', async (request, reply) => {
    const p = await proving(request, reply);
    if (typeof p === 'string') return elsewhere(reply, p);
    if (p.stepUp) return reply.redirect('/sign-in/prove-identity', 303);
    return page(reply, p, 'prove-identity/start.njk', {
      level: p.account.proofing_level,
      again: p.account.proofing_suspended_at !== null,
      photoId: await photoIdStatus(deps, p.account.id),
    });
  });

  // The details form, and the match.

  app.get('/prove-identity/details', async (request, reply) => {
    const p = await proving(request, reply);
    if (typeof p === 'string') return elsewhere(reply, p);
    if (!mayProveP5(p)) return reply.redirect(startOf(p), 303);
    const wait = await blockedFor(request, p.account);
    if (wait > 0) return page(reply, p, 'prove-identity/too-many.njk', { wait: waitText(wait) }, 429);
    return detailsPage(reply, p, {});
  });

  app.post('/prove-identity/details', { preHandler: csrfProtect }, async (request, reply) => {
    const p = await proving(request, reply);
    if (typeof p === 'string') return elsewhere(reply, p);
    if (!mayProveP5(p)) return reply.redirect(startOf(p), 303);
    const values = typed(request.body, DETAILS_FIELDS);
    const parsed = parseDetails(request.body);
    if (!parsed.ok)
      return detailsPage(reply, p, { values, errors: parsed.errors, dateParts: parsed.dateParts }, 400);

    const wait = await blockedFor(request, p.account);
    if (wait > 0) return tooMany(request, reply, p, wait);

    const outcome = await attempt(request, p, parsed.value);
    switch (outcome.kind) {
      case 'unavailable':
        return detailsPage(reply, p, { values, problem: matchFailureMessage('unavailable') }, 503);
      case 'failed':
        return detailsPage(reply, p, { values, problem: matchFailureMessage('no-match') });
      case 'in-use':
        return page(reply, p, 'prove-identity/in-use.njk', {}, 409);
      case 'matched': {
        const { state } = p.journey;
        state[PROVED_KEY] = outcome.level;
        // Just matched to the national record: this sign-in needs no re-check.
        if (p.stepUp && state.signIn) Object.assign(state.signIn, { level: outcome.level, rechecked: true });
        await journeys.save(reply, p.journey, state);
        return reply.redirect('/prove-identity/done', 303);
      }
    }
  });

  // GP online services details (P9): ./gp-details.ts.
  registerGpDetailsRoutes(app, deps, {
    proving,
    elsewhere,
    page,
    formPage,
    startOf,
    blockedFor,
    tooMany,
    notify,
    waitText,
    recordNumbers,
    provedKey: PROVED_KEY,
  });

  // Photo ID and a video selfie (P9): ./photo-id.ts.
  registerPhotoIdRoutes(app, deps, {
    proving,
    elsewhere,
    page,
    formPage,
    startOf,
    blockedFor,
    tooMany,
    notify,
    waitText,
    recordNumbers,
    provedKey: PROVED_KEY,
  });

  // Proved.

  app.get('/prove-identity/done', async (request, reply) => {
    const p = await proving(request, reply);
    if (typeof p === 'string') return elsewhere(reply, p);
    const proved = p.journey.state[PROVED_KEY];
    if (typeof proved !== 'string') return reply.redirect(startOf(p), 303);
    return page(reply, p, 'prove-identity/done.njk', {
      level: proved,
      // Back to the supplier only when what it asked for is met now.
      canContinue: Boolean(p.stepUp) && signInSatisfied(p.journey.state),
    });
  });

  app.post('/prove-identity/done', { preHandler: csrfProtect }, async (request, reply) => {
    const p = await proving(request, reply);
    if (typeof p === 'string') return elsewhere(reply, p);
    delete p.journey.state[PROVED_KEY];
    if (p.stepUp && signInSatisfied(p.journey.state)) return finishSignIn(deps, request, reply, p.journey);
    await journeys.save(reply, p.journey, p.journey.state);
    return reply.redirect(p.stepUp ? '/sign-in/continue' : '/account', 303);
  });
}
