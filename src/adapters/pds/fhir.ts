// FHIR R4 Patient <-> PatientSummary. Both adapters read Patients through
// fromFhirPatient, so the embedded record and the real PDS are summarised by
// the same code; toFhirPatient writes a synthetic person as PDS would return
// them (also what the HTTP adapter's tests serve).
import { z } from 'zod';
import type { SyntheticPatient } from './synthetic.js';
import {
  LEGACY_ODS_CODE_SYSTEM,
  NHS_NUMBER_SYSTEM,
  ODS_CODE_SYSTEM,
  type FhirBundle,
  type FhirPatient,
  type FhirPeriod,
  type Gender,
  type PatientSummary,
} from './port.js';

/** Where a PDS Patient lives, for Bundle entries' fullUrl. */
export const PDS_PATIENT_URL = 'https://api.service.nhs.uk/personal-demographics/FHIR/R4/Patient';

export function toFhirPatient(p: SyntheticPatient): FhirPatient {
  const [current, ...previous] = p.addresses;
  const withheld = p.restricted === true;
  return {
    resourceType: 'Patient',
    id: p.nhsNumber,
    meta: {
      versionId: p.versionId,
      security: [
        withheld
          ? {
              system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
              code: 'R',
              display: 'restricted',
            }
          : {
              system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
              code: 'U',
              display: 'unrestricted',
            },
      ],
    },
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: p.nhsNumber }],
    name: [{ use: 'usual', family: p.family, given: [...p.given], period: { start: p.birthDate } }],
    gender: p.gender,
    birthDate: p.birthDate,
    ...(p.deceased ? { deceasedDateTime: p.deceased } : {}),
    ...(withheld
      ? {}
      : {
          address: [current, ...previous].flatMap((a) =>
            a
              ? [
                  {
                    use: 'home' as const,
                    line: [...a.line],
                    postalCode: a.postcode,
                    period: { start: a.from, ...(a.to ? { end: a.to } : {}) },
                  },
                ]
              : [],
          ),
          ...(p.phone || p.email
            ? {
                telecom: [
                  ...(p.phone ? [{ system: 'phone' as const, use: 'mobile' as const, value: p.phone }] : []),
                  ...(p.email ? [{ system: 'email' as const, use: 'home' as const, value: p.email }] : []),
                ],
              }
            : {}),
          ...(p.gp
            ? {
                generalPractitioner: [
                  {
                    type: 'Organization',
                    identifier: {
                      system: ODS_CODE_SYSTEM,
                      value: p.gp,
                      period: { start: current?.from ?? p.birthDate },
                    },
                  },
                ],
              }
            : {}),
        }),
  };
}

export function toFhirBundle(
  entries: readonly { patient: FhirPatient; score?: number }[],
  timestamp?: string,
): FhirBundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(timestamp ? { timestamp } : {}),
    total: entries.length,
    entry: entries.map(({ patient, score }) => ({
      fullUrl: `${PDS_PATIENT_URL}/${patient.id}`,
      search: { score: score ?? 1 },
      resource: patient,
    })),
  };
}

// ---------------------------------------------------------------------------
// Reading what PDS sends: tolerant of extra fields and unknown codes, strict
// about what we rely on.

const period = z.object({ start: z.string().optional(), end: z.string().optional() }).optional();
const identifier = z.object({ system: z.string().optional(), value: z.string().optional(), period });

export const fhirPatientSchema = z.object({
  resourceType: z.literal('Patient'),
  id: z.string().min(1),
  meta: z
    .object({
      versionId: z.string().optional(),
      security: z.array(z.object({ code: z.string().optional() })).optional(),
    })
    .optional(),
  identifier: z.array(identifier).optional(),
  name: z
    .array(
      z.object({
        use: z.string().optional(),
        family: z.string().optional(),
        given: z.array(z.string()).optional(),
        period,
      }),
    )
    .optional(),
  gender: z.string().optional(),
  birthDate: z.string().optional(),
  deceasedDateTime: z.string().optional(),
  address: z
    .array(
      z.object({
        use: z.string().optional(),
        line: z.array(z.string()).optional(),
        postalCode: z.string().optional(),
        period,
      }),
    )
    .optional(),
  telecom: z
    .array(
      z.object({
        system: z.string().optional(),
        value: z.string().optional(),
        use: z.string().optional(),
        period,
      }),
    )
    .optional(),
  generalPractitioner: z.array(z.object({ identifier: identifier.optional() })).optional(),
});

export const fhirBundleSchema = z.object({
  resourceType: z.literal('Bundle'),
  total: z.number().int().nonnegative().optional(),
  entry: z
    .array(
      z.object({
        search: z.object({ score: z.number().optional() }).optional(),
        resource: z.unknown(),
      }),
    )
    .optional(),
});

export const fhirOperationOutcomeSchema = z.object({
  resourceType: z.literal('OperationOutcome'),
  issue: z
    .array(
      z.object({
        code: z.string().optional(),
        diagnostics: z.string().optional(),
        details: z
          .object({ coding: z.array(z.object({ code: z.string().optional() })).optional() })
          .optional(),
      }),
    )
    .default([]),
});

/** The Spine error code (e.g. TOO_MANY_MATCHES, RESOURCE_NOT_FOUND) of an OperationOutcome body. */
export function spineErrorCode(body: unknown): { code?: string; diagnostics?: string } {
  const parsed = fhirOperationOutcomeSchema.safeParse(body);
  if (!parsed.success) return {};
  const issue = parsed.data.issue[0];
  const code = issue?.details?.coding?.find((c) => c.code)?.code ?? issue?.code;
  return { ...(code ? { code } : {}), ...(issue?.diagnostics ? { diagnostics: issue.diagnostics } : {}) };
}

const GENDERS: readonly string[] = ['male', 'female', 'other', 'unknown'];
const WITHHELD = new Set(['R', 'V', 'REDACTED']);

/** In force on `today` (YYYY-MM-DD): started (or no start) and not ended. */
function current(p: FhirPeriod | undefined, today: string): boolean {
  return (
    (p?.start === undefined || p.start.slice(0, 10) <= today) &&
    (p?.end === undefined || p.end.slice(0, 10) >= today)
  );
}

/** The latest-starting of the items in force today. */
function latest<T extends { period?: FhirPeriod | undefined }>(
  items: readonly T[],
  today: string,
): T | undefined {
  return items
    .filter((i) => current(i.period, today))
    .sort((a, b) => (b.period?.start ?? '').localeCompare(a.period?.start ?? ''))[0];
}

export interface SummaryContext {
  /** YYYY-MM-DD: which name and address are current. */
  today: string;
  /** The NHS number asked for, when the record is the answer to a read. */
  requestedNhsNumber?: string;
  score?: number;
  /** Superseded numbers known to lead to this record. */
  previousNhsNumbers?: readonly string[];
}

/** The summary of a FHIR Patient, or undefined when it is not one we can use. */
export function fromFhirPatient(resource: unknown, context: SummaryContext): PatientSummary | undefined {
  const parsed = fhirPatientSchema.safeParse(resource);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  const nhsNumber = p.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value ?? p.id;
  const { today } = context;
  // The main name has use `usual` in PDS; other FHIR servers say `official`.
  const names = (p.name ?? []).filter(
    (n) => n.use === undefined || n.use === 'usual' || n.use === 'official',
  );
  const usualNames = names.filter((n) => n.use === 'usual');
  const name = latest(usualNames, today) ?? latest(names, today);
  const homes = (p.address ?? []).filter((a) => a.use === 'home');
  const home = latest(homes, today);
  const telecom = (p.telecom ?? []).filter((t) => current(t.period, today));
  const phone =
    telecom.find((t) => t.system === 'phone' && t.use === 'mobile') ??
    telecom.find((t) => t.system === 'phone');
  const email = telecom.find((t) => t.system === 'email');
  const gp = p.generalPractitioner?.[0]?.identifier;
  const gpOdsCode =
    gp && (gp.system === ODS_CODE_SYSTEM || gp.system === LEGACY_ODS_CODE_SYSTEM) ? gp.value : undefined;
  const previous = new Set(context.previousNhsNumbers ?? []);
  const requested = context.requestedNhsNumber;
  if (requested !== undefined && requested !== nhsNumber) previous.add(requested);
  return {
    nhsNumber,
    previousNhsNumbers: [...previous],
    ...(p.meta?.versionId ? { versionId: p.meta.versionId } : {}),
    ...(name?.family ? { familyName: name.family } : {}),
    givenNames: name?.given ?? [],
    ...(p.gender && GENDERS.includes(p.gender) ? { gender: p.gender as Gender } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    deceased: p.deceasedDateTime !== undefined,
    ...(p.deceasedDateTime ? { deceasedDateTime: p.deceasedDateTime } : {}),
    addressLines: home?.line ?? [],
    ...(home?.postalCode ? { postcode: home.postalCode } : {}),
    ...(phone?.value ? { phone: phone.value } : {}),
    ...(email?.value ? { email: email.value } : {}),
    ...(gpOdsCode ? { gpOdsCode } : {}),
    restricted: (p.meta?.security ?? []).some((s) => s.code !== undefined && WITHHELD.has(s.code)),
    ...(context.score !== undefined ? { score: context.score } : {}),
  };
}

export function todayIso(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
