// Claiming an NHS login that a GP practice set up after checking the
// person's photo ID face to face (Provision Account, outcome 'create'). The
// person follows the emailed link, confirms the mobile phone the practice
// recorded with a text code, re-checks their date of birth and postcode
// against the national record (PDS), and chooses a password; then the P9
// account is created in one transaction (src/store/provisioning-claims.ts)
// and they are signed in to their account pages. The whole guard chain of
// each page is visible here.
//
//   /claim-account?token=…          the emailed link: the token is looked up,
//                                   then moved out of the URL at once
//   /claim-account/start            what happens next; sends the text code
//   /claim-account/phone-code       the code (resend as elsewhere)
//   /claim-account/details          date of birth and postcode, re-checked
//   /claim-account/password         a new password, then the account
//   /claim-account/done             set up: on to the account pages
//
// An unknown, used, cancelled or expired link reads the same. Details that
// do not match read the same whatever did not match, and count against
// claimAttemptsPerRequest; the last attempt cancels the request, as does a
// record that can no longer be claimed (not found, the person recorded as
// having died), or an NHS number or email address another account holds.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PdsReadResult } from '../../adapters/pds/index.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { maskPhone, normaliseUkMobile } from '../../domain/contact-details.js';
import { matchFailureMessage, normalisePostcode } from '../../domain/demographics-match.js';
import { PASSWORD_MESSAGES } from '../../domain/password-policy.js';
import {
  accountHoldingNhsNumber,
  cancelClaim,
  claimProblem,
  completeClaim,
  findRequestById,
  findRequestByTokenHash,
  type ClaimLinkProblem,
  type ProvisioningRequest,
} from '../../store/provisioning-claims.js';
import { claimTokenHash } from '../../store/provisioning-token.js';
import { findAccountByEmail } from '../../store/accounts.js';
import { csrfProtect } from '../../web/security.js';
import { signedInAccount } from '../account/routes.js';
import { CODE_MESSAGES, toCodePage } from '../codes.js';
import { renderJourney, sessionEnded } from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { hashPassword } from '../passwords.js';
import type { Journey, JourneyState } from '../state.js';
import {
  CHECK_FIELDS,
  PASSWORD_CONFIRM_MESSAGES,
  codeForm,
  fieldErrors,
  parseCheck,
  passwordForm,
  typed,
  type CheckDetails,
} from './validation.js';

const TOO_MANY_SENDS = 'You have asked for too many codes. Wait 15 minutes and try again';
/** The same words for every detail that did not match. */
export const CLAIM_NOT_MATCHED = {
  title: 'We could not confirm your details',
  body: 'Check that your date of birth and postcode are the same as your GP surgery has for you, then try again.',
} as const;
const UNAVAILABLE = matchFailureMessage('unavailable');

/** Journey-state keys: the claim under way, and the account it created (for the done page). */
const CLAIM_KEY = 'claim';
const CLAIMED_KEY = 'claimed';

/** What the re-check read from the national record, kept for the account (the NHS number sealed). */
interface CheckedRecord {
  sealedNhsNumber: string;
  nhsNumberHash: string;
  recordHashes: string[];
  familyName: string | null;
  givenName: string | null;
  birthdate: string;
  gpOdsCode: string | null;
  phoneMatched: boolean;
  pdsVersion: string | null;
  supersededNumberFollowed: boolean;
}

interface ClaimState {
  requestId: string;
  phoneVerified?: boolean;
  record?: CheckedRecord;
}

function claimOf(state: JourneyState | undefined): ClaimState | undefined {
  const claim = state?.[CLAIM_KEY];
  if (typeof claim !== 'object' || claim === null) return undefined;
  return typeof (claim as { requestId?: unknown }).requestId === 'string' ? (claim as ClaimState) : undefined;
}

/** Where the claim goes next. */
function nextStep(claim: ClaimState): string {
  if (!claim.phoneVerified) return '/claim-account/start';
  if (!claim.record) return '/claim-account/details';
  return '/claim-account/password';
}

interface Claiming {
  journey: Journey;
  claim: ClaimState;
  request: ProvisioningRequest;
}

export function registerClaimAccountRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  const { journeys } = deps;

  /** The journey's claim and its request, if the request can still be claimed; else the page to show. */
  async function claiming(request: FastifyRequest, reply: FastifyReply): Promise<Claiming | FastifyReply> {
    const journey = await journeys.load(request);
    const claim = claimOf(journey?.state);
    if (!journey || !claim) return sessionEnded(reply);
    const row = await findRequestById(deps.db, claim.requestId);
    const problem = claimProblem(row);
    if (problem || !row) return linkPage(reply, journey, problem ?? 'unknown');
    return { journey, claim, request: row };
  }

  const isReply = (x: Claiming | FastifyReply): x is FastifyReply => !('claim' in x);

  function linkPage(reply: FastifyReply, journey: Journey | undefined, problem: ClaimLinkProblem) {
    void reply.header('Cache-Control', 'no-store');
    return reply
      .code(problem === 'unknown' ? 404 : 410)
      .send(renderJourney(reply, journey, 'claim-account/link.njk', {}));
  }

  function page(
    reply: FastifyReply,
    c: Claiming,
    template: string,
    context: Record<string, unknown>,
    status = 200,
  ): FastifyReply {
    return reply.code(status).send(renderJourney(reply, c.journey, template, context));
  }

  async function failed(
    request: FastifyRequest,
    requestId: string | undefined,
    reason: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await deps.audit.record({
      code: AUDIT_EVENTS.CLAIM_FAILED,
      ip: request.ip,
      details: { ...(requestId ? { requestId } : {}), reason, ...details },
    });
  }

  /** Cancels the request (the person must ask the practice again) and says so. */
  async function cancelled(
    request: FastifyRequest,
    reply: FastifyReply,
    c: Claiming,
    reason: string,
    status: number,
  ): Promise<FastifyReply> {
    if (await cancelClaim(deps.db, c.request.id))
      await deps.audit.record({
        code: AUDIT_EVENTS.CLAIM_CANCELLED,
        ip: request.ip,
        details: { requestId: c.request.id, reason },
      });
    delete c.journey.state[CLAIM_KEY];
    delete c.journey.state.code;
    await journeys.save(reply, c.journey, c.journey.state);
    return page(reply, c, 'claim-account/cannot-set-up.njk', {}, status);
  }

  async function inUse(reply: FastifyReply, c: Claiming): Promise<FastifyReply> {
    delete c.journey.state[CLAIM_KEY];
    delete c.journey.state.code;
    await journeys.save(reply, c.journey, c.journey.state);
    return page(reply, c, 'claim-account/in-use.njk', {}, 409);
  }

  // 1. The emailed link.

  app.get('/claim-account', async (request, reply) => {
    void reply.header('Cache-Control', 'no-store');
    const token = (request.query as { token?: unknown } | undefined)?.token;
    const loaded = await journeys.load(request);
    if (typeof token !== 'string' || token === '') {
      // Back to where the claim is, after the token has left the URL.
      const claim = claimOf(loaded?.state);
      if (claim) return reply.redirect(nextStep(claim), 303);
      return linkPage(reply, loaded, 'unknown');
    }
    const row =
      token.length <= 200 ? await findRequestByTokenHash(deps.db, claimTokenHash(token)) : undefined;
    const problem = claimProblem(row);
    if (problem || !row) {
      await failed(request, row?.id, `link-${problem ?? 'unknown'}`);
      return linkPage(reply, loaded, problem ?? 'unknown');
    }
    // A new claim replaces whatever this browser was doing (a sign-in, someone else's account pages).
    const state: JourneyState = { [CLAIM_KEY]: { requestId: row.id } satisfies ClaimState };
    await journeys.save(reply, loaded, state);
    return reply.redirect('/claim-account/start', 303);
  });

  // 2. What happens next, and the text code.

  app.get('/claim-account/start', async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (c.claim.phoneVerified) return reply.redirect(nextStep(c.claim), 303);
    return page(reply, c, 'claim-account/start.njk', { phone: maskPhone(c.request.phone_number) });
  });

  app.post('/claim-account/start', { preHandler: csrfProtect }, async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (c.claim.phoneVerified) return reply.redirect(nextStep(c.claim), 303);
    const sent = await deps.codes.sendSmsCode(c.request.phone_number, request.ip);
    return toCodePage(journeys, reply, c.journey, sent, '/claim-account/phone-code');
  });

  function showPhoneCode(
    reply: FastifyReply,
    c: Claiming,
    values: Record<string, string>,
    errors: Record<string, string>,
    status = 200,
  ) {
    return page(
      reply,
      c,
      'claim-account/phone-code.njk',
      { phone: maskPhone(c.request.phone_number), values, errors },
      status,
    );
  }

  app.get('/claim-account/phone-code', async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (c.claim.phoneVerified) return reply.redirect(nextStep(c.claim), 303);
    const limited = (request.query as { limited?: unknown } | undefined)?.limited === '1';
    return showPhoneCode(reply, c, {}, limited ? { code: TOO_MANY_SENDS } : {});
  });

  app.post('/claim-account/phone-code', { preHandler: csrfProtect }, async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (c.claim.phoneVerified) return reply.redirect(nextStep(c.claim), 303);
    const values = typed(request.body, ['code']);
    const parsed = codeForm.safeParse(request.body ?? {});
    if (!parsed.success) return showPhoneCode(reply, c, values, fieldErrors(parsed.error), 400);
    // Only a code sent by text to the phone the practice recorded, for this request, counts.
    const checked = await deps.codes.check(c.journey.state.code, parsed.data.code, {
      channel: 'sms',
      recipient: c.request.phone_number,
      subject: 'claim:' + c.request.id,
      ip: request.ip,
    });
    if (!checked.ok) {
      await journeys.save(reply, c.journey, c.journey.state);
      return showPhoneCode(reply, c, values, { code: CODE_MESSAGES[checked.error] }, 400);
    }
    delete c.journey.state.code;
    c.claim.phoneVerified = true;
    await journeys.save(reply, c.journey, c.journey.state);
    return reply.redirect('/claim-account/details', 303);
  });

  app.post('/claim-account/phone-code/resend', { preHandler: csrfProtect }, async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (c.claim.phoneVerified) return reply.redirect(nextStep(c.claim), 303);
    const sent = await deps.codes.sendSmsCode(c.request.phone_number, request.ip);
    // The code sent before still works when no new one could be sent.
    if (!sent.ok) return showPhoneCode(reply, c, {}, { code: TOO_MANY_SENDS }, 429);
    c.journey.state.code = sent.value;
    await journeys.save(reply, c.journey, c.journey.state);
    return reply.redirect('/claim-account/phone-code', 303);
  });

  // 3. Date of birth and postcode, re-checked against the national record.

  function detailsPage(
    reply: FastifyReply,
    c: Claiming,
    context: {
      values?: Record<string, string>;
      errors?: Record<string, string>;
      problem?: { title: string; body: string };
      dateParts?: string[];
    },
    status = 200,
  ) {
    const dateParts = context.dateParts ?? [];
    return page(
      reply,
      c,
      'claim-account/details.njk',
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

  app.get('/claim-account/details', async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (!c.claim.phoneVerified || c.claim.record) return reply.redirect(nextStep(c.claim), 303);
    return detailsPage(reply, c, {});
  });

  type Recheck =
    | { kind: 'matched'; record: CheckedRecord }
    | { kind: 'mismatch'; failed: string[] }
    | { kind: 'stop'; reason: 'not-found' | 'deceased' }
    | { kind: 'in-use'; reason: 'nhs-number-in-use' | 'email-in-use'; ownerId: string }
    | { kind: 'unavailable'; reason: string };

  async function recheck(c: Claiming, typedDetails: CheckDetails): Promise<Recheck> {
    const nhsNumber = deps.sealer.open(c.request.nhs_number);
    let read;
    try {
      read = await deps.demographics.read(nhsNumber);
    } catch {
      return { kind: 'unavailable', reason: 'bad-response' };
    }
    if (!read.ok) return { kind: 'unavailable', reason: read.error.reason };
    const found: PdsReadResult = read.value;
    if (found.kind === 'not-found') return { kind: 'stop', reason: 'not-found' };
    const record = found.patient;
    // The date of birth must be the practice's and the record's; the postcode the record's current home address's.
    const failedChecks = [
      ...(typedDetails.birthDate !== c.request.birth_date ? ['birthDate:request'] : []),
      ...(typedDetails.birthDate !== record.birthDate ? ['birthDate:record'] : []),
      ...(!record.postcode || normalisePostcode(record.postcode) !== typedDetails.postcode
        ? ['postcode']
        : []),
    ];
    if (failedChecks.length > 0) return { kind: 'mismatch', failed: failedChecks };
    if (record.deceased) return { kind: 'stop', reason: 'deceased' };
    // Every number of this person: a merged (superseded) number is followed to the
    // current one only when no other account holds any of them.
    const numbers = [...new Set([record.nhsNumber, ...record.previousNhsNumbers, nhsNumber])];
    const recordHashes = numbers.map((n) => deps.sealer.lookupHash(n));
    const owner = await accountHoldingNhsNumber(deps.db, recordHashes);
    if (owner) return { kind: 'in-use', reason: 'nhs-number-in-use', ownerId: owner };
    const emailOwner = await findAccountByEmail(deps.db, c.request.email);
    if (emailOwner) return { kind: 'in-use', reason: 'email-in-use', ownerId: emailOwner.id };
    const mobile = record.phone ? normaliseUkMobile(record.phone) : undefined;
    return {
      kind: 'matched',
      record: {
        sealedNhsNumber: deps.sealer.seal(record.nhsNumber),
        nhsNumberHash: deps.sealer.lookupHash(record.nhsNumber),
        recordHashes,
        familyName: record.familyName ?? null,
        givenName: record.givenNames.length ? record.givenNames.join(' ') : null,
        birthdate: typedDetails.birthDate,
        gpOdsCode: record.gpOdsCode ?? null,
        phoneMatched: mobile?.ok === true && mobile.value === c.request.phone_number,
        pdsVersion: record.versionId ?? null,
        supersededNumberFollowed: found.kind === 'superseded',
      },
    };
  }

  app.post('/claim-account/details', { preHandler: csrfProtect }, async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (!c.claim.phoneVerified || c.claim.record) return reply.redirect(nextStep(c.claim), 303);
    const values = typed(request.body, CHECK_FIELDS);
    const parsed = parseCheck(request.body);
    if (!parsed.ok)
      return detailsPage(reply, c, { values, errors: parsed.errors, dateParts: parsed.dateParts }, 400);
    // Over the limit already (it cancels the request, so this is a race): the same end.
    if (!(await deps.limits.check('claimAttemptsPerRequest', c.request.id)).allowed)
      return cancelled(request, reply, c, 'too-many-attempts', 429);

    const outcome = await recheck(c, parsed.value);
    switch (outcome.kind) {
      case 'unavailable':
        await deps.audit.record({
          code: AUDIT_EVENTS.PROOFING_UNAVAILABLE,
          ip: request.ip,
          details: { route: 'in-person', requestId: c.request.id, reason: outcome.reason },
        });
        return detailsPage(reply, c, { values, problem: UNAVAILABLE }, 503);
      case 'mismatch': {
        const d = await deps.limits.hit('claimAttemptsPerRequest', c.request.id);
        await failed(request, c.request.id, 'details-mismatch', { failed: outcome.failed });
        if (!d.allowed || d.retryAfterSeconds > 0)
          return cancelled(request, reply, c, 'too-many-attempts', 429);
        return detailsPage(reply, c, { values, problem: CLAIM_NOT_MATCHED }, 400);
      }
      case 'stop':
        await failed(request, c.request.id, outcome.reason, {
          ...(outcome.reason === 'deceased' ? { fraudSignal: true } : {}),
        });
        return cancelled(request, reply, c, outcome.reason, 410);
      case 'in-use':
        await failed(request, c.request.id, outcome.reason, { ownerAccountId: outcome.ownerId });
        if (await cancelClaim(deps.db, c.request.id))
          await deps.audit.record({
            code: AUDIT_EVENTS.CLAIM_CANCELLED,
            ip: request.ip,
            details: { requestId: c.request.id, reason: outcome.reason },
          });
        return inUse(reply, c);
      case 'matched':
        await deps.limits.reset('claimAttemptsPerRequest', c.request.id);
        c.claim.record = outcome.record;
        await journeys.save(reply, c.journey, c.journey.state);
        return reply.redirect('/claim-account/password', 303);
    }
  });

  // 4. A new password, then the account.

  app.get('/claim-account/password', async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    if (!c.claim.phoneVerified || !c.claim.record) return reply.redirect(nextStep(c.claim), 303);
    return page(reply, c, 'claim-account/password.njk', { errors: {} });
  });

  app.post('/claim-account/password', { preHandler: csrfProtect }, async (request, reply) => {
    const c = await claiming(request, reply);
    if (isReply(c)) return c;
    const record = c.claim.record;
    if (!c.claim.phoneVerified || !record) return reply.redirect(nextStep(c.claim), 303);
    // Passwords are never shown again, not even after an error.
    const show = (errors: Record<string, string>) =>
      page(reply, c, 'claim-account/password.njk', { errors }, 400);
    const parsed = passwordForm.safeParse(request.body ?? {});
    if (!parsed.success) return show(fieldErrors(parsed.error));
    const { password, confirm } = parsed.data;
    const policy = deps.passwords.check(password, { email: c.request.email });
    if (!policy.ok) return show({ password: PASSWORD_MESSAGES[policy.error] });
    if (confirm === '') return show({ confirm: PASSWORD_CONFIRM_MESSAGES.empty });
    if (confirm !== password) return show({ confirm: PASSWORD_CONFIRM_MESSAGES.mismatch });

    const claimed = await completeClaim(deps.db, {
      requestId: c.request.id,
      passwordHash: await hashPassword(password),
      sealedNhsNumber: record.sealedNhsNumber,
      nhsNumberHash: record.nhsNumberHash,
      recordHashes: record.recordHashes,
      familyName: record.familyName,
      givenName: record.givenName,
      birthdate: record.birthdate,
      gpOdsCode: record.gpOdsCode,
      phoneMatched: record.phoneMatched,
      evidence: {
        ...c.request.evidence,
        claim: {
          requestId: c.request.id,
          odsCode: c.request.ods_code,
          phoneVerified: true,
          checked: ['birthDate', 'postcode'],
          nhsNumberHash: record.nhsNumberHash,
          pdsVersion: record.pdsVersion,
          supersededNumberFollowed: record.supersededNumberFollowed,
        },
      },
    });
    if (!claimed.ok) {
      if (claimed.reason === 'not-claimable') {
        // Claimed in another tab, or cancelled or expired meanwhile.
        await failed(request, c.request.id, 'link-used');
        delete c.journey.state[CLAIM_KEY];
        await journeys.save(reply, c.journey, c.journey.state);
        return linkPage(reply, c.journey, 'used');
      }
      await failed(request, c.request.id, claimed.reason, { ownerAccountId: claimed.ownerId });
      await deps.audit.record({
        code: AUDIT_EVENTS.CLAIM_CANCELLED,
        ip: request.ip,
        details: { requestId: c.request.id, reason: claimed.reason },
      });
      return inUse(reply, c);
    }

    const account = claimed.account;
    await deps.audit.record({
      code: AUDIT_EVENTS.ACCOUNT_CLAIMED,
      accountId: account.id,
      ip: request.ip,
      details: { requestId: c.request.id, odsCode: c.request.ods_code, attemptId: claimed.attemptId },
    });
    await deps.audit.record({
      code: AUDIT_EVENTS.IDENTITY_PROVED,
      accountId: account.id,
      ip: request.ip,
      details: { route: 'in-person', level: 'P9', attemptId: claimed.attemptId },
    });
    try {
      await deps.notifier.send({ type: 'email-identity-proved', to: account.email, level: 'P9' });
    } catch (e) {
      // The account stands whatever happens to the email.
      request.log.warn({ err: e }, 'could not send the identity-proved email after a claim');
    }
    // Signed in to the account pages: the password just chosen and the phone code shown in this journey.
    const state: JourneyState = {
      account: { accountId: account.id, lastSeen: Date.now() },
      [CLAIMED_KEY]: account.id,
    };
    await journeys.save(reply, c.journey, state);
    return reply.redirect('/claim-account/done', 303);
  });

  // 5. Set up.

  app.get('/claim-account/done', async (request, reply) => {
    const journey = await journeys.load(request);
    const accountId = signedInAccount(journey);
    if (!journey || !accountId || journey.state[CLAIMED_KEY] !== accountId)
      return reply.redirect('/account', 303);
    return renderJourney(reply, journey, 'claim-account/done.njk', {});
  });
}
