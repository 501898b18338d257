// Proving who you are to P9 with GP online services details (domain.md, P9
// route 2): the Account ID, Linkage Key and practice ODS code on the letter a
// GP surgery gives for its online services, with the person's last name and
// date of birth, checked by the GP clinical system (the GP system port, IM1).
// From the account pages and inline in a supplier's sign-in (step-up) when the
// supplier needs P9.
//
//   /prove-identity/gp-details   the form, and the check
//
// Outcomes. Details the GP system confirms lead to the patient's NHS number,
// which is read from PDS (one living person: the GPG45 record's demographic
// part); then, in one transaction, the record is bound (never a number
// another account holds, never a different record than the account's own),
// the level raised to P9, the details stored for the
// gp_integration_credentials claim (the Linkage Key sealed) and any
// suspension cleared. Each set of details proves one account only: details
// that proved another account are refused and audited as a fraud signal.
// Wrong details (whichever part), a record PDS does not know or of a person
// who has died, and a different record than the account's read alike to the
// person and count against the proofing limits; an Account ID the GP system
// has locked sends the person to their surgery; the GP system or PDS being
// unreachable decides and counts nothing. Every decision is recorded with its
// GPG45 evidence record and decision. The Linkage Key is never logged, stored
// in clear or written to evidence or audit.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GpPatient, GpSystemUnavailable, VerifyLinkageResult } from '../../adapters/gp-system/index.js';
import { linkageFingerprint } from '../../adapters/gp-system/index.js';
import type { Message } from '../../adapters/notify/port.js';
import type { PatientSummary, PdsError } from '../../adapters/pds/index.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { normaliseUkMobile } from '../../domain/contact-details.js';
import { gpg45Evidence, scoreGpOnlineServices, type PdsOutcome } from '../../domain/gpg45-routes.js';
import type { Result } from '../../domain/result.js';
import type { ProofingLevel } from '../../domain/vectors-of-trust.js';
import {
  bindNationalRecord,
  findAccountById,
  recordProofingAttempt,
  type Account,
} from '../../store/accounts.js';
import { flagFraudSignal } from '../../store/id-checks.js';
import type { IdCheckSignal, ProofingRoute } from '../../store/schema.js';
import { csrfProtect } from '../../web/security.js';
import type { JourneyDeps } from '../deps.js';
import { typed } from '../form-fields.js';
import type { Proving } from './routes.js';
import { GP_DETAILS_FIELDS, parseGpDetails, type DatePart, type GpDetails } from './validation.js';

const ROUTE = 'gp-online-services';

/** What the person is told. Wrong details read alike, whichever part was wrong. */
export const GP_MESSAGES = {
  notVerified: {
    title: 'We could not confirm your details',
    body: 'Check the details on your letter from your GP surgery and try again. Enter your last name and date of birth as your GP surgery has them.',
  },
  unavailable: {
    title: 'Sorry, we could not check your details',
    body: 'We could not reach your GP surgery’s system. Nothing has been changed. Try again later.',
  },
} as const;

/** Kept here for the proving routes that import it; it lives with the route scorers. */
export { gpg45Evidence };

/** What a proving form page is given: what was typed, what is wrong, or why it could not be checked. */
export interface FormContext {
  values?: Record<string, string>;
  errors?: Record<string, string>;
  dateParts?: DatePart[];
  problem?: { title: string; body: string };
}

/** What the P5 routes share with this one (see routes.ts). */
export interface ProvingKit {
  proving(request: FastifyRequest, reply: FastifyReply): Promise<Proving | 'ended' | 'sign-in'>;
  elsewhere(reply: FastifyReply, where: 'ended' | 'sign-in'): FastifyReply;
  page(
    reply: FastifyReply,
    p: Proving,
    template: string,
    context: Record<string, unknown>,
    status?: number,
  ): FastifyReply;
  formPage(
    reply: FastifyReply,
    p: Proving,
    template: string,
    context: FormContext,
    status?: number,
  ): FastifyReply;
  startOf(p: Proving): string;
  blockedFor(request: FastifyRequest, account: Account): Promise<number>;
  tooMany(
    request: FastifyRequest,
    reply: FastifyReply,
    p: Proving,
    seconds: number,
    route?: ProofingRoute,
  ): Promise<FastifyReply>;
  notify(request: FastifyRequest, message: Message): Promise<void>;
  waitText(seconds: number): string;
  recordNumbers(account: Account, record: PatientSummary): Promise<Result<string[], PdsError>>;
  provedKey: string;
}

type GpOutcome =
  | { kind: 'proved'; level: ProofingLevel }
  | { kind: 'not-verified' }
  | { kind: 'locked' }
  | { kind: 'linkage-in-use' }
  | { kind: 'in-use' }
  | { kind: 'unavailable' };

type FailureReason =
  | 'not-verified'
  | 'locked'
  | 'no-match'
  | 'deceased'
  | 'different-record'
  | 'nhs-number-in-use'
  | 'linkage-in-use';

/** The outcomes an ID checker reviews (the ID checker queue, store/id-checks.ts). */
const FRAUD_SIGNALS: Partial<Record<FailureReason, IdCheckSignal>> = {
  deceased: 'deceased-match',
  'linkage-in-use': 'gp-linkage-in-use',
  'nhs-number-in-use': 'nhs-number-in-use',
};

export function registerGpDetailsRoutes(app: FastifyInstance, deps: JourneyDeps, kit: ProvingKit): void {
  /** Below P9 (or suspended), from the account or for a supplier waiting for P9. */
  const mayProveP9 = (p: Proving): boolean =>
    p.account.proofing_level !== 'P9' && (!p.stepUp || p.stepUp.level === 'P9');

  const formPage = (reply: FastifyReply, p: Proving, context: FormContext, status = 200) =>
    kit.formPage(reply, p, 'prove-identity/gp-details.njk', context, status);

  async function attempt(request: FastifyRequest, p: Proving, details: GpDetails): Promise<GpOutcome> {
    const { account } = p;
    const clientId = p.journey.state.interaction?.clientId;
    const base = { accountId: account.id, clientId, ip: request.ip };
    const practice = { odsCode: details.odsCode };

    const unavailable = async (
      system: 'gp-system' | 'pds',
      error: GpSystemUnavailable | PdsError,
    ): Promise<GpOutcome> => {
      await deps.audit.record({
        ...base,
        code: AUDIT_EVENTS.PROOFING_UNAVAILABLE,
        details: { route: ROUTE, system, kind: error.kind, reason: error.reason },
      });
      if (error.reason === 'unauthorised' || error.reason === 'rejected' || error.kind === 'rejected')
        request.log.error(
          { system, kind: error.kind, reason: error.reason },
          'a proving-identity request was refused (our request or configuration)',
        );
      return { kind: 'unavailable' };
    };

    /** Records the decision with its GPG45 record, counts it, and audits it. */
    const failed = async (
      reason: FailureReason,
      facts: {
        pds: PdsOutcome;
        linkage: 'verified' | 'not-recognised' | 'already-used';
        sameNhsNumber: boolean;
      },
      evidence: Record<string, unknown> = {},
      audit: Record<string, unknown> = {},
    ): Promise<void> => {
      const gpg45 = gpg45Evidence(scoreGpOnlineServices(facts));
      const attemptId = await recordProofingAttempt(deps.db, {
        accountId: account.id,
        route: ROUTE,
        outcome: reason,
        evidence: { ...practice, ...evidence, gpg45 },
      });
      await deps.limits.hit('proofingAttemptsPerAccount', account.id);
      await deps.limits.hit('proofingAttemptsPerIp', request.ip);
      const code =
        reason === 'deceased'
          ? AUDIT_EVENTS.PROOFING_DECEASED_MATCH
          : reason === 'nhs-number-in-use'
            ? AUDIT_EVENTS.PROOFING_NHS_NUMBER_IN_USE
            : reason === 'linkage-in-use'
              ? AUDIT_EVENTS.PROOFING_GP_LINKAGE_IN_USE
              : AUDIT_EVENTS.PROOFING_MATCH_FAILED;
      const fraudSignal = reason === 'deceased' || reason === 'linkage-in-use';
      await deps.audit.record({
        ...base,
        code,
        details: {
          route: ROUTE,
          reason,
          ...practice,
          ...(fraudSignal ? { fraudSignal: true } : {}),
          ...audit,
        },
      });
      const signal = FRAUD_SIGNALS[reason];
      if (signal)
        await flagFraudSignal(deps.db, {
          accountId: account.id,
          signal,
          proofingAttemptId: attemptId,
          summary: {
            route: ROUTE,
            outcome: reason,
            ...practice,
            gpg45,
            otherAccountId: audit.ownerAccountId,
          },
        });
    };

    let verified: VerifyLinkageResult;
    try {
      verified = await deps.gpSystem.verifyLinkage(
        {
          accountId: details.accountId,
          linkageKey: details.linkageKey,
          odsCode: details.odsCode,
          surname: details.familyName,
          dateOfBirth: details.birthDate,
        },
        { correlationId: request.id },
      );
    } catch {
      verified = { kind: 'unavailable', reason: 'bad-response' };
    }
    if (verified.kind === 'unavailable') return unavailable('gp-system', verified);
    const notRecognised = { pds: 'no-match', linkage: 'not-recognised', sameNhsNumber: false } as const;
    if (verified.kind === 'not-verified') {
      await failed('not-verified', notRecognised, { pdsChecked: false });
      return { kind: 'not-verified' };
    }
    if (verified.kind === 'locked') {
      await failed('locked', notRecognised, { pdsChecked: false });
      return { kind: 'locked' };
    }

    // The GP record's NHS number, checked with PDS: one living person.
    const patient: GpPatient = verified.patient;
    const credentials = verified.credentials;
    let read;
    try {
      read = await deps.demographics.read(patient.nhsNumber);
    } catch {
      return unavailable('pds', { kind: 'unavailable', reason: 'bad-response' });
    }
    if (!read.ok) return unavailable('pds', read.error);
    const gpNumberHash = deps.sealer.lookupHash(patient.nhsNumber);
    if (read.value.kind === 'not-found') {
      await failed(
        'no-match',
        { pds: 'no-match', linkage: 'verified', sameNhsNumber: false },
        { gpNumberHash },
      );
      return { kind: 'not-verified' };
    }
    const record = read.value.patient;
    const nhsNumberHash = deps.sealer.lookupHash(record.nhsNumber);
    if (record.deceased) {
      await failed(
        'deceased',
        { pds: 'deceased', linkage: 'verified', sameNhsNumber: true },
        { nhsNumberHash },
      );
      return { kind: 'not-verified' };
    }
    const numbers = await kit.recordNumbers(account, record);
    if (!numbers.ok) return unavailable('pds', numbers.error);
    const supersededFollowed = read.value.kind === 'superseded';
    const verifiedFacts = { pds: 'matched', linkage: 'verified', sameNhsNumber: true } as const;
    const score = scoreGpOnlineServices(verifiedFacts);
    const evidence = {
      ...practice,
      nhsNumberHash,
      pdsVersion: record.versionId ?? null,
      supersededNumberFollowed: supersededFollowed,
      ...(supersededFollowed ? { gpNumberHash } : {}),
    };
    const mobile = record.phone ? normaliseUkMobile(record.phone) : undefined;
    const bound = await bindNationalRecord(
      deps.db,
      account.id,
      {
        sealedNhsNumber: deps.sealer.seal(record.nhsNumber),
        nhsNumberHash,
        recordHashes: [...numbers.value, patient.nhsNumber].map((n) => deps.sealer.lookupHash(n)),
        familyName: record.familyName ?? patient.familyName,
        givenName: record.givenNames.length
          ? record.givenNames.join(' ')
          : patient.givenNames.join(' ') || null,
        birthdate: record.birthDate ?? patient.birthDate,
        // The practice the details belong to, where the GP system says the patient is registered.
        gpOdsCode: credentials.gp_ods_code,
        phoneMatched: mobile?.ok === true && mobile.value === account.phone_number,
        gpLinkage: {
          userId: credentials.gp_user_id,
          sealedLinkageKey: deps.sealer.seal(credentials.gp_linkage_key),
          fingerprint: deps.sealer.lookupHash(
            linkageFingerprint({
              accountId: credentials.gp_user_id,
              linkageKey: credentials.gp_linkage_key,
              odsCode: credentials.gp_ods_code,
            }),
          ),
        },
      },
      { route: ROUTE, level: 'P9', evidence: { ...evidence, gpg45: gpg45Evidence(score) } },
    );
    if (bound.ok) {
      await deps.limits.reset('proofingAttemptsPerAccount', account.id);
      await deps.audit.record({
        ...base,
        code: AUDIT_EVENTS.IDENTITY_PROVED,
        details: {
          route: ROUTE,
          level: 'P9',
          attemptId: bound.attemptId,
          ...(bound.restored ? { suspensionCleared: true } : {}),
        },
      });
      await kit.notify(request, { type: 'email-identity-proved', to: account.email, level: 'P9' });
      return { kind: 'proved', level: bound.level };
    }
    switch (bound.reason) {
      case 'linkage-in-use':
        await failed(
          'linkage-in-use',
          { ...verifiedFacts, linkage: 'already-used' },
          { nhsNumberHash },
          { ownerAccountId: bound.ownerId },
        );
        return { kind: 'linkage-in-use' };
      case 'nhs-number-in-use': {
        await failed(
          'nhs-number-in-use',
          verifiedFacts,
          { nhsNumberHash },
          { ownerAccountId: bound.ownerId },
        );
        const owner = await findAccountById(deps.db, bound.ownerId);
        if (owner) await kit.notify(request, { type: 'email-nhs-number-in-use', to: owner.email });
        return { kind: 'in-use' };
      }
      case 'different-record':
        // The account is bound to someone else's record: the GP details lead to a different person.
        await failed('different-record', { ...verifiedFacts, sameNhsNumber: false }, { nhsNumberHash });
        return { kind: 'not-verified' };
      default:
        return { kind: 'unavailable' };
    }
  }

  app.get('/prove-identity/gp-details', async (request, reply) => {
    const p = await kit.proving(request, reply);
    if (typeof p === 'string') return kit.elsewhere(reply, p);
    if (!mayProveP9(p)) return reply.redirect(kit.startOf(p), 303);
    const wait = await kit.blockedFor(request, p.account);
    if (wait > 0) return kit.page(reply, p, 'prove-identity/too-many.njk', { wait: kit.waitText(wait) }, 429);
    return formPage(reply, p, {});
  });

  app.post('/prove-identity/gp-details', { preHandler: csrfProtect }, async (request, reply) => {
    const p = await kit.proving(request, reply);
    if (typeof p === 'string') return kit.elsewhere(reply, p);
    if (!mayProveP9(p)) return reply.redirect(kit.startOf(p), 303);
    // Kept on an error: the details are the person's own, and retyping a key from a letter is error-prone.
    const values = typed(request.body, GP_DETAILS_FIELDS);
    const parsed = parseGpDetails(request.body);
    if (!parsed.ok)
      return formPage(reply, p, { values, errors: parsed.errors, dateParts: parsed.dateParts }, 400);

    const wait = await kit.blockedFor(request, p.account);
    if (wait > 0) return kit.tooMany(request, reply, p, wait, ROUTE);

    const outcome = await attempt(request, p, parsed.value);
    switch (outcome.kind) {
      case 'unavailable':
        return formPage(reply, p, { values, problem: GP_MESSAGES.unavailable }, 503);
      case 'not-verified':
        return formPage(reply, p, { values, problem: GP_MESSAGES.notVerified });
      case 'locked':
        return kit.page(reply, p, 'prove-identity/gp-locked.njk', {}, 423);
      case 'linkage-in-use':
        return kit.page(reply, p, 'prove-identity/gp-in-use.njk', {}, 409);
      case 'in-use':
        return kit.page(reply, p, 'prove-identity/in-use.njk', {}, 409);
      case 'proved': {
        const { state } = p.journey;
        state[kit.provedKey] = outcome.level;
        // Just matched to the national record: this sign-in needs no re-check.
        if (p.stepUp && state.signIn) Object.assign(state.signIn, { level: outcome.level, rechecked: true });
        await deps.journeys.save(reply, p.journey, state);
        return reply.redirect('/prove-identity/done', 303);
      }
    }
  });
}
