// P9 in person (domain.md, route 3): practice staff find a patient in PDS,
// record that they checked the patient's photo ID face to face, then either
// provision or uplift the patient's NHS login (the same service as the
// Provision Account API, src/provision-api/service.ts) or issue GP online
// services details (shown once). A person who would not record a video for
// the online photo ID route has their face compared here instead.
//
//   GET  /backoffice/in-person              find the patient (NHS number, date of birth)
//   POST /backoffice/in-person              the PDS look-up: the patient, and what can be done
//   POST /backoffice/in-person/check        the photo ID check recorded (audited with its GPG45 record)
//   POST /backoffice/in-person/provision    email and mobile: create (claim link emailed) or uplift
//   POST /backoffice/in-person/gp-details   GP online services details, shown once
//
// Every step is a POST carrying the patient's details in the form, never in
// the address. What was checked travels with a keyed proof (the sealer's
// lookup hash over the staff member, the patient, the check and its time),
// so a later step acts only on a check this member of staff recorded for
// this patient in the last 30 minutes. Each step reads PDS again: the
// patient must be a living person's current record with that date of
// birth, registered at the member's organisation (staff at the operator,
// X26, act for anyone). Nobody verifies their own NHS login.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { EMAIL_MESSAGES, MOBILE_MESSAGES } from '../../domain/contact-details.js';
import { birthDateFromParts } from '../../domain/demographics-match.js';
import { formatNhsNumber, normaliseNhsNumber } from '../../domain/nhs-number.js';
import { ACCEPTED_DOCUMENTS, type DocumentKind } from '../../domain/photo-id.js';
import { PROVISION_ERRORS, inPersonGpg45, parseLastFour, parseProvision } from '../../domain/provisioning.js';
import type { StaffMember } from '../../store/schema.js';
import { provision } from '../../provision-api/service.js';
import { lookUpPatient, type FoundPatient, type PatientLookup } from '../patient-lookup.js';
import { fields, many, type BackofficeKit, type Fields } from '../kit.js';
import { keep, noStore } from '../support/form.js';

/** How long a recorded check may be acted on. */
const CHECK_VALID_MS = 30 * 60 * 1000;

type Expiry = 'in-date' | 'recently-expired';
const EXPIRIES: { value: Expiry; text: string }[] = [
  { value: 'in-date', text: 'In date' },
  { value: 'recently-expired', text: 'Expired less than 12 months ago' },
];

const DOCUMENT_KINDS = Object.keys(ACCEPTED_DOCUMENTS) as DocumentKind[];
const isDocumentKind = (v: unknown): v is DocumentKind =>
  typeof v === 'string' && (DOCUMENT_KINDS as string[]).includes(v);

/** A check as recorded, carried from step to step. */
interface Check {
  checkId: string;
  document: DocumentKind;
  lastFour: string;
  expiry: Expiry;
  checkedAt: string;
}

interface Patient {
  nhsNumber: string;
  birthDate: string;
}

const ERROR_HREFS = { dob: '#dob-day', document: '#document', expiry: '#expiry', confirm: '#confirm' };

function birthDateInWords(date: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`));
}

export function registerInPersonRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, send } = kit;
  const { demographics, gpSystem } = deps;
  const provisionDeps = { ...deps, demographics };

  const proofOf = (staff: StaffMember, p: Patient, c: Check) =>
    deps.sealer.lookupHash(
      [
        'in-person',
        staff.id,
        p.nhsNumber,
        p.birthDate,
        c.checkId,
        c.document,
        c.lastFour,
        c.expiry,
        c.checkedAt,
      ].join('\u0000'),
    );

  /** The patient carried in a later step's form (hidden fields), or undefined when they are not valid. */
  function carriedPatient(f: Fields): Patient | undefined {
    const nhsNumber = normaliseNhsNumber(f.nhsNumber ?? '');
    const birthDate = /^\d{4}-\d{2}-\d{2}$/.test(f.birthDate ?? '') ? f.birthDate : undefined;
    return nhsNumber && birthDate ? { nhsNumber, birthDate } : undefined;
  }

  /** The check carried in a later step's form, when its proof holds and it is recent. */
  function carriedCheck(staff: StaffMember, p: Patient, f: Fields): Check | undefined {
    const { checkId, document, lastFour, expiry, checkedAt, proof } = f;
    if (!checkId || !isDocumentKind(document) || !lastFour || !checkedAt || !proof) return undefined;
    if (expiry !== 'in-date' && expiry !== 'recently-expired') return undefined;
    const check: Check = { checkId, document, lastFour, expiry, checkedAt };
    if (proofOf(staff, p, check) !== proof) return undefined;
    const age = Date.now() - Date.parse(checkedAt);
    return age >= 0 && age <= CHECK_VALID_MS ? check : undefined;
  }

  type Found = FoundPatient;

  /** The patient's national record and NHS login, when this member may act for them; else the reason. */
  const lookUp = (request: FastifyRequest, p: Patient): Promise<PatientLookup> =>
    lookUpPatient(kit, request, p, {
      otherPractice: 'Their own GP practice can verify them.',
      ownAccount: 'This is your own NHS login. A colleague must verify you.',
    });

  function patientView(found: Found) {
    const { patient, holder } = found;
    const login = !holder
      ? { text: 'No NHS login yet', canProvision: true, action: 'create' }
      : holder.proofing_level === 'P9'
        ? { text: 'Has an NHS login, already proved to P9 (high level)', canProvision: false }
        : holder.proofing_level === 'P5'
          ? {
              text: 'Has an NHS login proved to P5 (medium level): it can be uplifted to P9',
              canProvision: true,
              action: 'uplift',
            }
          : {
              text: 'Has an NHS login whose proof of identity is suspended until it is checked again',
              canProvision: false,
            };
    return {
      name: [patient.givenNames.join(' '), patient.familyName].filter(Boolean).join(' ') || 'Name not known',
      nhsNumber: formatNhsNumber(patient.nhsNumber),
      birthDate: patient.birthDate ? birthDateInWords(patient.birthDate) : 'Not known',
      gp: patient.gpOdsCode ?? 'Not known',
      login,
    };
  }

  const hidden = (p: Patient, c?: Check, proof?: string) => ({
    nhsNumber: p.nhsNumber,
    birthDate: p.birthDate,
    ...(c && proof ? { ...c, proof } : {}),
  });

  const findPage = (
    reply: FastifyReply,
    status: number,
    context: { values: Fields; errors?: Fields; problem?: string },
  ) =>
    send(noStore(reply), status, 'in-person/find', {
      pageTitle: 'Verify a patient face to face',
      errorHrefs: ERROR_HREFS,
      ...context,
    });

  const checkPage = (
    reply: FastifyReply,
    status: number,
    p: Patient,
    found: Found,
    context: { values?: Fields; errors?: Fields; confirm?: string[] } = {},
  ) => {
    const values = context.values ?? {};
    const confirm = context.confirm ?? [];
    return send(noStore(reply), status, 'in-person/check', {
      pageTitle: 'Check their photo ID',
      patient: patientView(found),
      hidden: hidden(p),
      documents: DOCUMENT_KINDS.map((kind) => ({
        value: kind,
        text: ACCEPTED_DOCUMENTS[kind].name,
        hint: { text: `Accepted: ${ACCEPTED_DOCUMENTS[kind].accepted}` },
        checked: values.document === kind,
      })),
      expiries: EXPIRIES.map((e) => ({ ...e, checked: values.expiry === e.value })),
      confirmItems: [
        {
          value: 'document',
          text: 'I held the original document, it looks genuine, and its name and date of birth are the patient’s',
          checked: confirm.includes('document'),
        },
        {
          value: 'face',
          text: 'The person in front of me is the person in the photo',
          checked: confirm.includes('face'),
        },
      ],
      values,
      errors: context.errors,
      errorHrefs: ERROR_HREFS,
    });
  };

  const choosePage = (
    reply: FastifyReply,
    status: number,
    p: Patient,
    found: Found,
    check: Check,
    proof: string,
    context: { values?: Fields; errors?: Fields; problem?: string } = {},
  ) =>
    send(noStore(reply), status, 'in-person/choose', {
      pageTitle: 'Photo ID check recorded',
      patient: patientView(found),
      document: ACCEPTED_DOCUMENTS[check.document].name,
      lastFour: check.lastFour,
      hidden: hidden(p, check, proof),
      values: context.values ?? { email: '', mobile: '' },
      errors: context.errors,
      problem: context.problem,
    });

  /** A later step whose carried details are missing, changed or too old: start again. */
  const startAgain = (reply: FastifyReply) =>
    findPage(reply, 400, {
      values: {},
      problem:
        'The check could not be found or is more than 30 minutes old. Find the patient and check their photo ID again.',
    });

  route('GET /backoffice/in-person', async (_request, reply) => findPage(reply, 200, { values: {} }));

  route('POST /backoffice/in-person', async (request, reply) => {
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['nhsNumber', 'dobDay', 'dobMonth', 'dobYear']);
    const errors: Fields = {};
    const nhsNumber = normaliseNhsNumber((f.nhsNumber ?? '').slice(0, 40));
    if (!f.nhsNumber?.trim()) errors.nhsNumber = 'Enter the patient’s NHS number';
    else if (!nhsNumber) errors.nhsNumber = 'Enter a valid NHS number. It is 10 digits, like 485 777 3456';
    const birthDate = birthDateFromParts(f.dobDay ?? '', f.dobMonth ?? '', f.dobYear ?? '');
    const today = new Date().toISOString().slice(0, 10);
    if (!birthDate || birthDate > today) errors.dob = 'Enter the patient’s date of birth, like 27 3 1980';
    if (!nhsNumber || !birthDate || Object.keys(errors).length)
      return findPage(reply, 400, { values, errors });

    const limited = await deps.limits.hit('staffSearchesPerStaff', staff.id);
    if (!limited.allowed) {
      void reply.header('retry-after', String(limited.retryAfterSeconds));
      await deps.audit.record({
        code: AUDIT_EVENTS.IN_PERSON_LOOKUP,
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
      code: AUDIT_EVENTS.IN_PERSON_LOOKUP,
      ...(looked.ok && looked.found.holder ? { accountId: looked.found.holder.id } : {}),
      ip: request.ip,
      details: { staffId: staff.id, result: looked.ok ? 'found' : looked.result },
    });
    if (!looked.ok) return findPage(reply, looked.status, { values, problem: looked.problem });
    return checkPage(reply, 200, p, looked.found);
  });

  route('POST /backoffice/in-person/check', async (request, reply) => {
    const { staff } = staffOf(request);
    const f = fields(request);
    const p = carriedPatient(f);
    if (!p) return startAgain(reply);
    const values = keep(f, ['document', 'lastFour', 'expiry']);
    const confirm = many(request, 'confirm');
    const errors: Fields = {};
    if (!isDocumentKind(f.document)) errors.document = 'Select the photo ID the patient showed you';
    const lastFour = parseLastFour((f.lastFour ?? '').slice(0, 40));
    if (!lastFour) errors.lastFour = 'Enter the last 4 letters or numbers of the document’s number';
    if (f.expiry !== 'in-date' && f.expiry !== 'recently-expired')
      errors.expiry = 'Select whether the document is in date';
    if (!confirm.includes('document') || !confirm.includes('face'))
      errors.confirm = 'Confirm that you checked the document and that the person is the one in the photo';

    const looked = await lookUp(request, p);
    if (!looked.ok) return findPage(reply, looked.status, { values: {}, problem: looked.problem });
    if (!isDocumentKind(f.document) || !lastFour || Object.keys(errors).length)
      return checkPage(reply, 400, p, looked.found, { values, errors, confirm });

    const check: Check = {
      checkId: randomUUID(),
      document: f.document,
      lastFour,
      expiry: f.expiry as Expiry,
      checkedAt: new Date().toISOString(),
    };
    const gpg45 = gpg45Of(staff, check);
    await deps.audit.record({
      code: AUDIT_EVENTS.IN_PERSON_CHECKED,
      ...(looked.found.holder ? { accountId: looked.found.holder.id } : {}),
      ip: request.ip,
      details: {
        staffId: staff.id,
        odsCode: staff.ods_code,
        checkId: check.checkId,
        document: check.document,
        lastFour: check.lastFour,
        expiry: check.expiry,
        confidence: gpg45.confidence,
        profile: gpg45.profile,
      },
    });
    return choosePage(reply, 200, p, looked.found, check, proofOf(staff, p, check));
  });

  function gpg45Of(staff: StaffMember, check: Check) {
    return inPersonGpg45({
      method: 'photo-id',
      pds: 'matched',
      odsCode: staff.ods_code,
      document: {
        kind: check.document,
        expiry: check.expiry,
        detailsMatchPds: true,
        examined: 'genuine',
      },
      faceMatches: true,
    });
  }

  /** The carried patient and check of a later step, re-read from PDS; or the page already sent. */
  async function carried(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ p: Patient; check: Check; proof: string; found: Found } | undefined> {
    const { staff } = staffOf(request);
    const f = fields(request);
    const p = carriedPatient(f);
    const check = p ? carriedCheck(staff, p, f) : undefined;
    if (!p || !check) {
      startAgain(reply);
      return undefined;
    }
    const looked = await lookUp(request, p);
    if (!looked.ok) {
      findPage(reply, looked.status, { values: {}, problem: looked.problem });
      return undefined;
    }
    return { p, check, proof: f.proof!, found: looked.found };
  }

  route('POST /backoffice/in-person/provision', async (request, reply) => {
    const state = await carried(request, reply);
    if (!state) return reply;
    const { p, check, proof, found } = state;
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['email', 'mobile']);
    const parsed = parseProvision(
      {
        nhs_number: p.nhsNumber,
        email_address: f.email ?? '',
        date_of_birth: p.birthDate,
        ods_code: staff.ods_code,
        phone_number: f.mobile ?? '',
      },
      new Date().toISOString().slice(0, 10),
    );
    if (!parsed.ok) {
      const errors: Fields = {};
      for (const problem of parsed.error) {
        if (problem.field === 'email_address')
          errors.email = f.email?.trim() ? EMAIL_MESSAGES.invalid : 'Enter the patient’s email address';
        else if (problem.field === 'phone_number')
          errors.mobile = f.mobile?.trim()
            ? MOBILE_MESSAGES.invalid
            : 'Enter the patient’s mobile phone number';
      }
      if (!Object.keys(errors).length) return startAgain(reply);
      return choosePage(reply, 400, p, found, check, proof, { values, errors });
    }
    const result = await provision(provisionDeps, {
      details: parsed.value,
      requester: { staffId: staff.id },
      evidence: {
        document: check.document,
        lastFour: check.lastFour,
        method: 'photo-id',
        expiry: check.expiry,
        gpg45: { ...gpg45Of(staff, check), checkId: check.checkId },
      },
      patient: found.patient,
      ip: request.ip,
      log: request.log,
    });
    if (!result.ok) {
      const e = PROVISION_ERRORS[result.error];
      if (result.error === 'emailInUse') {
        return choosePage(reply, e.status, p, found, check, proof, {
          values,
          errors: {
            email: `This email address is already used by another NHS login (${e.code}). Ask the patient for another`,
          },
        });
      }
      const problems: Partial<Record<typeof result.error, string>> = {
        alreadyP9: 'This patient’s NHS login is already proved to P9. There is nothing to uplift.',
        pending:
          'An NHS login for this patient was provisioned in the last 7 days and is waiting to be claimed. Ask the patient to use the link in the email they were sent.',
        tooMany: 'Your organisation has provisioned too many NHS logins today. Try again later.',
        suspended:
          'This patient’s NHS login cannot be uplifted now: its proof of identity is suspended until it is checked again.',
      };
      return choosePage(reply, e.status, p, found, check, proof, {
        values,
        problem: `${problems[result.error] ?? e.message} (${e.code})`,
      });
    }
    return send(noStore(reply), 201, 'in-person/provisioned', {
      pageTitle: result.outcome === 'create' ? 'NHS login ready to claim' : 'NHS login uplifted to P9',
      outcome: result.outcome,
      patient: patientView(found),
      email: parsed.value.email,
      expiresOn: result.outcome === 'create' ? result.expiresOn : undefined,
      requestId: result.requestId,
    });
  });

  route('POST /backoffice/in-person/gp-details', async (request, reply) => {
    const state = await carried(request, reply);
    if (!state) return reply;
    const { p, check, proof, found } = state;
    const { staff } = staffOf(request);
    const odsCode = found.patient.gpOdsCode;
    const issued = odsCode
      ? await gpSystem.issueLinkage(
          { nhsNumber: found.patient.nhsNumber, odsCode },
          { correlationId: request.id },
        )
      : ({ kind: 'not-registered' } as const);
    if (issued.kind !== 'issued') {
      await deps.audit.record({
        code: AUDIT_EVENTS.PROVISION_REFUSED,
        ...(found.holder ? { accountId: found.holder.id } : {}),
        ip: request.ip,
        details: { staffId: staff.id, odsCode: staff.ods_code, action: 'gp-details', error: issued.kind },
      });
      return choosePage(reply, issued.kind === 'not-registered' ? 409 : 503, p, found, check, proof, {
        problem:
          issued.kind === 'not-registered'
            ? 'The GP system has no living patient with this NHS number registered at the practice. Nothing was issued.'
            : 'The GP system could not be reached. Nothing was issued. Try again later.',
      });
    }
    const gpg45 = gpg45Of(staff, check);
    await deps.audit.record({
      code: AUDIT_EVENTS.GP_DETAILS_ISSUED,
      ...(found.holder ? { accountId: found.holder.id } : {}),
      ip: request.ip,
      details: {
        staffId: staff.id,
        odsCode: issued.details.odsCode,
        replaced: issued.replaced,
        checkId: check.checkId,
        document: check.document,
        lastFour: check.lastFour,
        confidence: gpg45.confidence,
        profile: gpg45.profile,
      },
    });
    return send(noStore(reply), 200, 'in-person/gp-details', {
      pageTitle: 'GP online services details',
      patient: patientView(found),
      details: issued.details,
      replaced: issued.replaced,
    });
  });
}
