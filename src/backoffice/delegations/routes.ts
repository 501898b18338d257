// Delegated access set up by a practice (issue 5): for a child under 16, or a
// person who lacks capacity to consent, practice staff of the person's
// registered GP practice set access up with a recorded reason and a review
// date, and renew it; the housekeeping sweep (expiry.ts) ends it at the review
// date unless renewed, and on a child's 16th birthday. Support's pages for a
// patient's delegations are in support.ts.
//
//   GET  /backoffice/delegations                      the practice's delegations, due reviews first
//   GET  /backoffice/delegations/new                  find the person (NHS number, date of birth)
//   POST /backoffice/delegations/new                  PDS and their NHS login; the set-up form
//   POST /backoffice/delegations/set-up               set it up: both emailed, audited
//   GET  /backoffice/delegations/:delegationId/renew  a new review date
//   POST /backoffice/delegations/:delegationId/renew  moved on, audited
//
// The person access is for must be a living person's current PDS record with
// that date of birth, registered at the member's organisation (staff at the
// operator, X26, act for anyone), with an NHS login proved to P9 bound to that
// NHS number; the delegate an NHS login proved to P9. Each step reads PDS
// again, and the NHS number travels only in forms, never in addresses.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PatientSummary } from '../../adapters/pds/index.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { ukToday } from '../../audit/search.js';
import { birthDateFromParts } from '../../domain/demographics-match.js';
import {
  AGE_OF_CONSENT,
  DELEGABLE_PERMISSIONS,
  DELEGATION_LEVEL,
  PERMISSIONS,
  birthdayAt,
  bothProved,
  isChild,
  parsePermissions,
} from '../../domain/delegation.js';
import { formatNhsNumber, normaliseNhsNumber } from '../../domain/nhs-number.js';
import { lookUpPatient } from '../patient-lookup.js';
import { findAccountByEmail, findAccountById, type Account } from '../../store/accounts.js';
import {
  changeTerms,
  createPracticeDelegation,
  findDelegation,
  type Delegation,
} from '../../store/delegations.js';
import { fields, many, type BackofficeKit, type Fields } from '../kit.js';
import { organisationFilter, seesOrganisation } from '../organisation.js';
import { isOwnAccount } from '../support/access.js';
import { REASON_MAX_LENGTH, checkReason, keep, noStore } from '../support/form.js';
import { personName, tellBoth } from './notices.js';
import {
  BASES,
  DUE_SOON_DAYS,
  RELATIONSHIP_MAX_LENGTH,
  addDays,
  basisProblem,
  isBasis,
  latestReviewDate,
  reviewDateProblem,
  type Basis,
} from './rules.js';
import { registerSupportDelegationRoutes } from './support.js';

/** "3 March 2025", for a YYYY-MM-DD date. */
export function dateWords(date: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`));
}

const DELEGATION_ID = /^[A-Za-z0-9-]{1,64}$/;

interface Person {
  nhsNumber: string;
  birthDate: string;
}

interface Found {
  patient: PatientSummary;
  grantor: Account;
}

type LookUp = { ok: true; found: Found } | { ok: false; status: number; result: string; problem: string };

const FIND_HREFS = { dob: '#dob-day' };
const SET_UP_HREFS = {
  basis: '#basis',
  permissions: '#permissions',
  reviewOn: '#reviewOn-day',
};

export function registerDelegationRoutes(kit: BackofficeKit): void {
  registerPracticeRoutes(kit);
  registerSupportDelegationRoutes(kit);
}

function registerPracticeRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, send, page } = kit;

  /** The person's national record and P9 NHS login, when this member may set access up for them. */
  async function lookUp(request: FastifyRequest, p: Person): Promise<LookUp> {
    const looked = await lookUpPatient(kit, request, p, {
      otherPractice: 'Only their own GP practice can set up access for them.',
      ownAccount: 'This is your own NHS login. A colleague must set up access for you.',
    });
    if (!looked.ok) return looked;
    const { patient, holder: grantor } = looked.found;
    if (!grantor || grantor.proofing_level !== DELEGATION_LEVEL) {
      return {
        ok: false,
        status: 409,
        result: grantor ? 'login-not-p9' : 'no-login',
        problem: grantor
          ? 'This patient’s NHS login has not been proved to P9 (high level). They must prove who they are first: you can verify them face to face.'
          : 'This patient does not have an NHS login. They need one proved to P9 (high level) before access can be set up: you can set one up for them face to face.',
      };
    }
    return { ok: true, found: { patient, grantor } };
  }

  function patientView(found: Found, today: string) {
    const { patient } = found;
    const birthDate = patient.birthDate ?? found.grantor.birthdate ?? '';
    const child = birthDate ? isChild(birthDate, today) : false;
    return {
      name: [patient.givenNames.join(' '), patient.familyName].filter(Boolean).join(' ') || 'Name not known',
      nhsNumber: formatNhsNumber(patient.nhsNumber),
      birthDate: birthDate ? dateWords(birthDate) : 'Not known',
      gp: patient.gpOdsCode ?? 'Not known',
      age: child
        ? `Under ${AGE_OF_CONSENT}: turns ${AGE_OF_CONSENT} on ${dateWords(birthdayAt(birthDate, AGE_OF_CONSENT))}`
        : `${AGE_OF_CONSENT} or over`,
      child,
    };
  }

  const findPage = (
    reply: FastifyReply,
    status: number,
    context: { values: Fields; errors?: Fields; problem?: string },
  ) =>
    send(noStore(reply), status, 'delegations/find', {
      pageTitle: 'Set up access for a patient',
      errorHrefs: FIND_HREFS,
      ...context,
    });

  const setUpPage = (
    reply: FastifyReply,
    status: number,
    p: Person,
    found: Found,
    context: { values?: Fields; chosen?: string[]; errors?: Fields; problem?: string } = {},
  ) => {
    const today = ukToday();
    const values = context.values ?? {};
    const chosen = context.chosen ?? [];
    const view = patientView(found, today);
    return send(noStore(reply), status, 'delegations/set-up', {
      pageTitle: 'Set up access',
      patient: view,
      hidden: { nhsNumber: p.nhsNumber, birthDate: p.birthDate },
      bases: BASES.map((b) => ({
        value: b.value,
        text: b.text,
        hint: { text: b.hint },
        checked: (values.basis ?? (view.child ? 'child' : 'lacks-capacity')) === b.value,
      })),
      permissions: PERMISSIONS.map((p) => ({
        value: p,
        text: DELEGABLE_PERMISSIONS[p],
        checked: chosen.includes(p),
      })),
      reasonMax: REASON_MAX_LENGTH,
      relationshipMax: RELATIONSHIP_MAX_LENGTH,
      values,
      errors: context.errors,
      errorHrefs: SET_UP_HREFS,
      problem: context.problem,
    });
  };

  /** The person carried in the set-up form's hidden fields, or undefined. */
  function carriedPerson(f: Fields): Person | undefined {
    const nhsNumber = normaliseNhsNumber(f.nhsNumber ?? '');
    const birthDate = /^\d{4}-\d{2}-\d{2}$/.test(f.birthDate ?? '') ? f.birthDate : undefined;
    return nhsNumber && birthDate ? { nhsNumber, birthDate } : undefined;
  }

  route('GET /backoffice/delegations', async (request, reply) => {
    const { staff } = staffOf(request);
    const today = ukToday();
    let query = deps.db
      .selectFrom('delegations as d')
      .innerJoin('accounts as g', 'g.id', 'd.grantor_id')
      .leftJoin('accounts as t', 't.id', 'd.delegate_id')
      .select([
        'd.id',
        'd.status',
        'd.relationship',
        'd.review_on',
        'd.for_child',
        'd.ods_code',
        'g.given_name as g_given',
        'g.family_name as g_family',
        't.given_name as t_given',
        't.family_name as t_family',
      ])
      .where('d.origin', '=', 'practice')
      .where('d.status', 'in', ['accepted', 'active', 'suspended'])
      .orderBy('d.review_on', 'asc')
      .limit(500);
    const scope = organisationFilter(staff);
    if (scope) query = query.where('d.ods_code', '=', scope);
    const rows = await query.execute();
    const soon = addDays(today, DUE_SOON_DAYS);
    const done = (request.query as { done?: unknown }).done;
    return page(noStore(reply), 'delegations/list', {
      pageTitle: 'Access set up by your practice',
      done:
        done === 'set-up'
          ? 'Access has been set up. Both people have been told by email.'
          : done === 'renewed'
            ? 'The review date has been moved on.'
            : undefined,
      dueSoonDays: DUE_SOON_DAYS,
      delegations: rows.map((r) => ({
        id: r.id,
        for: personName({ given_name: r.g_given, family_name: r.g_family }),
        by: personName({ given_name: r.t_given, family_name: r.t_family }),
        relationship: r.relationship,
        basis: r.for_child ? `Child under ${AGE_OF_CONSENT}` : 'Lacks capacity',
        status: r.status,
        reviewOn: r.review_on ? dateWords(r.review_on) : 'None',
        dueSoon: r.review_on !== null && r.review_on <= soon,
        odsCode: r.ods_code,
      })),
    });
  });

  route('GET /backoffice/delegations/new', async (_request, reply) => findPage(reply, 200, { values: {} }));

  route('POST /backoffice/delegations/new', async (request, reply) => {
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['nhsNumber', 'dobDay', 'dobMonth', 'dobYear']);
    const errors: Fields = {};
    const nhsNumber = normaliseNhsNumber((f.nhsNumber ?? '').slice(0, 40));
    if (!f.nhsNumber?.trim()) errors.nhsNumber = 'Enter the patient’s NHS number';
    else if (!nhsNumber) errors.nhsNumber = 'Enter a valid NHS number. It is 10 digits, like 485 777 3456';
    const birthDate = birthDateFromParts(f.dobDay ?? '', f.dobMonth ?? '', f.dobYear ?? '');
    if (!birthDate || birthDate > ukToday()) errors.dob = 'Enter the patient’s date of birth, like 27 3 2015';
    if (!nhsNumber || !birthDate || Object.keys(errors).length)
      return findPage(reply, 400, { values, errors });

    const limited = await deps.limits.hit('staffSearchesPerStaff', staff.id);
    if (!limited.allowed) {
      void reply.header('retry-after', String(limited.retryAfterSeconds));
      await deps.audit.record({
        code: AUDIT_EVENTS.DELEGATION_PRACTICE_LOOKUP,
        ip: request.ip,
        details: { staffId: staff.id, result: 'limited' },
      });
      return findPage(reply, 429, {
        values,
        problem: 'You have searched too many times. Wait 15 minutes and then try again.',
      });
    }
    const p = { nhsNumber, birthDate };
    const looked = await lookUp(request, p);
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_PRACTICE_LOOKUP,
      ...(looked.ok ? { accountId: looked.found.grantor.id } : {}),
      ip: request.ip,
      details: { staffId: staff.id, odsCode: staff.ods_code, result: looked.ok ? 'found' : looked.result },
    });
    if (!looked.ok) return findPage(reply, looked.status, { values, problem: looked.problem });
    return setUpPage(reply, 200, p, looked.found);
  });

  route('POST /backoffice/delegations/set-up', async (request, reply) => {
    const { staff } = staffOf(request);
    const f = fields(request);
    const p = carriedPerson(f);
    if (!p)
      return findPage(reply, 400, {
        values: {},
        problem: 'The patient’s details were lost. Find the patient again.',
      });
    const looked = await lookUp(request, p);
    if (!looked.ok) return findPage(reply, looked.status, { values: {}, problem: looked.problem });
    const { grantor, patient } = looked.found;
    const today = ukToday();
    const birthDate = patient.birthDate ?? p.birthDate;

    const values = keep(f, [
      'basis',
      'delegateEmail',
      'relationship',
      'reason',
      'reviewOnDay',
      'reviewOnMonth',
      'reviewOnYear',
    ]);
    const chosen = many(request, 'permissions');
    const errors: Fields = {};
    const basis: Basis | undefined = isBasis(f.basis) ? f.basis : undefined;
    if (!basis) errors.basis = 'Select why the patient cannot give access themselves';
    else {
      const problem = basisProblem(basis, birthDate, today);
      if (problem) errors.basis = problem;
    }
    const email = (f.delegateEmail ?? '').trim().slice(0, 254);
    if (!email)
      errors.delegateEmail = 'Enter the email address of the NHS login of the person getting access';
    const relationship = (f.relationship ?? '').replace(/\p{Cc}/gu, '').trim();
    if (!relationship) errors.relationship = 'Enter their relationship to the patient, like Mother';
    else if (relationship.length > RELATIONSHIP_MAX_LENGTH)
      errors.relationship = `Relationship must be ${RELATIONSHIP_MAX_LENGTH} characters or fewer`;
    const permissions = parsePermissions(chosen);
    if (!permissions.ok) errors.permissions = 'Select what they can do for the patient';
    const reason = checkReason(f.reason);
    if (!reason.ok) errors.reason = reason.error;
    const reviewOn = birthDateFromParts(f.reviewOnDay ?? '', f.reviewOnMonth ?? '', f.reviewOnYear ?? '');
    if (basis && !errors.basis) {
      const problem = reviewDateProblem(reviewOn, basis, birthDate, today, dateWords);
      if (problem) errors.reviewOn = problem;
    } else if (!reviewOn) errors.reviewOn = 'Enter a review date, like 27 3 2027';

    let delegate: Account | undefined;
    if (email && !errors.delegateEmail) {
      delegate = await findAccountByEmail(deps.db, email);
      if (!delegate)
        errors.delegateEmail =
          'No NHS login uses this email address. The person getting access must create an NHS login and prove who they are first';
      else if (delegate.id === grantor.id)
        errors.delegateEmail = 'This is the patient’s own NHS login. Enter the other person’s email address';
      else if (isOwnAccount(staff, delegate))
        errors.delegateEmail = 'This is your own NHS login. A colleague must set up access for you';
      else if (delegate.proofing_level !== DELEGATION_LEVEL)
        errors.delegateEmail =
          'This person has not proved who they are to P9 (high level). They must prove who they are with NHS login first';
    }
    if (Object.keys(errors).length || !basis || !delegate || !permissions.ok || !reason.ok || !reviewOn) {
      return setUpPage(reply, 400, p, looked.found, { values, chosen, errors });
    }

    const created = await createPracticeDelegation(deps.db, {
      grantorId: grantor.id,
      delegateId: delegate.id,
      relationship,
      permissions: permissions.value,
      reason: reason.reason,
      reviewOn,
      forChild: basis === 'child',
      odsCode: staff.ods_code,
      staffId: staff.id,
      bothProved: bothProved(grantor.proofing_level, delegate.proofing_level),
    });
    if (!created.ok) {
      return setUpPage(reply, 409, p, looked.found, {
        values,
        chosen,
        problem: `${personName(delegate)} already has access to this patient’s care, or has been invited. Support can see it from the patient’s account.`,
      });
    }
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_SET_UP_BY_PRACTICE,
      accountId: grantor.id,
      ip: request.ip,
      details: {
        delegationId: created.value,
        staffId: staff.id,
        odsCode: staff.ods_code,
        grantorId: grantor.id,
        delegateId: delegate.id,
        basis,
        permissions: permissions.value,
        reviewOn,
        reason: reason.reason,
      },
    });
    await tellBoth(
      { ...deps, onNotifyError: (e) => request.log.warn({ err: e }, 'could not send a delegation notice') },
      {
        grantor_id: grantor.id,
        delegate_id: delegate.id,
        invitee_given_name: null,
        invitee_family_name: null,
      },
      'set-up-by-practice',
    );
    return reply.redirect('/backoffice/delegations?done=set-up', 303);
  });

  /** The practice's live delegation named by `:delegationId`, or the 404 page sent. */
  async function practiceDelegation(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ delegation: Delegation; grantor: Account; delegate: Account | undefined } | undefined> {
    const { staff } = staffOf(request);
    const { delegationId } = request.params as { delegationId?: string };
    const delegation =
      delegationId && DELEGATION_ID.test(delegationId)
        ? await findDelegation(deps.db, delegationId)
        : undefined;
    const grantor = delegation ? await findAccountById(deps.db, delegation.grantor_id) : undefined;
    if (
      !delegation ||
      !grantor ||
      delegation.origin !== 'practice' ||
      !seesOrganisation(staff, delegation.ods_code) ||
      isOwnAccount(staff, grantor)
    ) {
      kit.notFound(reply);
      return undefined;
    }
    const delegate = delegation.delegate_id
      ? await findAccountById(deps.db, delegation.delegate_id)
      : undefined;
    return { delegation, grantor, delegate };
  }

  const renewPage = (
    reply: FastifyReply,
    status: number,
    d: { delegation: Delegation; grantor: Account; delegate: Account | undefined },
    context: { values?: Fields; errors?: Fields } = {},
  ) => {
    const today = ukToday();
    const { delegation, grantor, delegate } = d;
    const basis: Basis = delegation.for_child ? 'child' : 'lacks-capacity';
    const finished = delegation.status === 'revoked' || delegation.status === 'expired';
    return send(noStore(reply), status, 'delegations/renew', {
      pageTitle: 'Renew access',
      id: delegation.id,
      grantorName: personName(grantor),
      delegateName: personName(delegate),
      relationship: delegation.relationship,
      basis: BASES.find((b) => b.value === basis)?.text,
      reviewOn: delegation.review_on ? dateWords(delegation.review_on) : 'None',
      latest:
        grantor.birthdate || basis === 'lacks-capacity'
          ? dateWords(latestReviewDate(basis, grantor.birthdate ?? today, today))
          : undefined,
      blocked: finished ? 'This access has ended. It cannot be renewed: set it up again.' : undefined,
      reasonMax: REASON_MAX_LENGTH,
      values: context.values ?? {},
      errors: context.errors,
      errorHrefs: { reviewOn: '#reviewOn-day' },
    });
  };

  route('GET /backoffice/delegations/:delegationId/renew', async (request, reply) => {
    const d = await practiceDelegation(request, reply);
    if (!d) return reply;
    return renewPage(reply, 200, d);
  });

  route('POST /backoffice/delegations/:delegationId/renew', async (request, reply) => {
    const d = await practiceDelegation(request, reply);
    if (!d) return reply;
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['reason', 'reviewOnDay', 'reviewOnMonth', 'reviewOnYear']);
    if (d.delegation.status === 'revoked' || d.delegation.status === 'expired')
      return renewPage(reply, 409, d, { values });
    const today = ukToday();
    const errors: Fields = {};
    const reason = checkReason(f.reason);
    if (!reason.ok) errors.reason = reason.error;
    const reviewOn = birthDateFromParts(f.reviewOnDay ?? '', f.reviewOnMonth ?? '', f.reviewOnYear ?? '');
    const basis: Basis = d.delegation.for_child ? 'child' : 'lacks-capacity';
    const birthDate = d.grantor.birthdate;
    const problem =
      basis === 'child' && !birthDate
        ? 'The patient’s date of birth is not known. Set access up again.'
        : reviewDateProblem(reviewOn, basis, birthDate ?? today, today, dateWords);
    if (problem) errors.reviewOn = problem;
    else if (reviewOn && d.delegation.review_on && reviewOn <= d.delegation.review_on)
      errors.reviewOn = `The new review date must be after the current one, ${dateWords(d.delegation.review_on)}`;
    if (!reason.ok || !reviewOn || Object.keys(errors).length)
      return renewPage(reply, 400, d, { values, errors });

    const changed = await changeTerms(
      deps.db,
      d.delegation.id,
      { kind: 'staff', id: staff.id },
      { reviewOn },
    );
    if (!changed.ok)
      return renewPage(reply, 409, { ...d, delegation: { ...d.delegation, status: 'expired' } });
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_RENEWED,
      accountId: d.grantor.id,
      ip: request.ip,
      details: {
        delegationId: d.delegation.id,
        staffId: staff.id,
        odsCode: staff.ods_code,
        reviewOnBefore: d.delegation.review_on,
        reviewOn,
        reason: reason.reason,
      },
    });
    return reply.redirect('/backoffice/delegations?done=renewed', 303);
  });
}
