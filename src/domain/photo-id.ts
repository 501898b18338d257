// P9 route 1: photo ID and a short video selfie, online. The rules behind the
// automated checks, as data and pure functions: which documents are accepted,
// when an expired one still counts, how the document's details compare with
// the national record, and what the face comparison and liveness numbers
// mean. The adapters measure (src/adapters/document-check: the machine
// readable zone and uploads; src/adapters/face-match: faces); this file
// decides, and says why.
//
// Three outcomes. A clear pass proves the person to P9. A clear fail tells the
// person what to try next. Anything in between is referred to a human ID
// checker, who sees the evidence side by side with every automated result
// listed here. Referring is never a punishment: it is what the automation does
// when it cannot be sure, and the thresholds lean that way on purpose, because
// a wrong pass gives a stranger someone's GP record while a wrong referral
// costs a day's wait.
import { nameKey, normaliseBirthDate, type DemographicRecord } from './demographics-match.js';

// ---------------------------------------------------------------------------
// Accepted documents

/**
 * The kinds of photo ID a person can choose. Named as in gpg45-routes.ts
 * (where each kind's GPG45 strength lives); which issuers count for each kind
 * is in ACCEPTED_DOCUMENTS.
 */
export type DocumentKind = 'passport' | 'driving-licence' | 'national-identity-card' | 'residence-permit';

/** Machine readable zone layouts (ICAO 9303), named as the mrz package names them. */
export type MrzFormat = 'TD1' | 'TD2' | 'TD3' | 'FRENCH_NATIONAL_ID';

/** ICAO 9303 codes of the EU member states (Germany's is D). */
export const EU_STATES: readonly string[] = [
  'AUT', 'BEL', 'BGR', 'HRV', 'CYP', 'CZE', 'D', 'DNK', 'EST', 'FIN', 'FRA', 'GRC', 'HUN', 'IRL',
  'ITA', 'LVA', 'LTU', 'LUX', 'MLT', 'NLD', 'POL', 'PRT', 'ROU', 'SVK', 'SVN', 'ESP', 'SWE',
]; // prettier-ignore

/** The EU with the rest of the European Economic Area and Switzerland: "European" documents. */
export const EUROPEAN_STATES: readonly string[] = [...EU_STATES, 'ISL', 'LIE', 'NOR', 'CHE'];

/** ICAO's specimen state ("Utopia"): its documents exist only in the standard's examples. */
export const SPECIMEN_STATE = 'UTO';

export interface AcceptedDocument {
  readonly kind: DocumentKind;
  /** As the person sees it when choosing. */
  readonly name: string;
  /** Which versions count, in words (for the choice page and the ID checker). */
  readonly accepted: string;
  /** What looks similar but is not accepted, in words. */
  readonly notAccepted: readonly string[];
  /**
   * The machine readable zone every accepted version carries, or undefined
   * when it has none (driving licences): then the person types the details
   * printed on the card, and only an ID checker can confirm them.
   */
  readonly mrz?: {
    readonly formats: readonly MrzFormat[];
    /** The document code (first characters of the zone) that says what the document is. */
    readonly documentCode: RegExp;
  };
  /** ICAO codes of the issuing states accepted, or 'any'. */
  readonly issuers: 'any' | readonly string[];
  /** Issuers never accepted for this kind. */
  readonly excludedIssuers: readonly string[];
}

/**
 * What NHS login accepts, from the NHS login team's guidance as published by
 * GP online services suppliers (support.patientpack.co.uk, "Problems applying
 * for an NHS login"): passports except Syrian passports; UK driving licences,
 * full or provisional; European driving licences, full only; European
 * national identity cards except paper Italian and Greek ones; UK residence
 * cards and biometric residence permits. Not accepted: travel cards, bus
 * passes, NHS ID cards, visa stickers, UK citizen ID cards, proof of age
 * cards, university or school ID cards, UK driver qualification cards, and a
 * photo of a printout or a screen.
 */
export const ACCEPTED_DOCUMENTS: Readonly<Record<DocumentKind, AcceptedDocument>> = {
  passport: {
    kind: 'passport',
    name: 'Passport',
    accepted: 'a passport from any country, except Syria',
    notAccepted: ['Syrian passports', 'visa stickers', 'passport cards'],
    mrz: { formats: ['TD3'], documentCode: /^P[A-Z]?$/ },
    issuers: 'any',
    excludedIssuers: ['SYR', SPECIMEN_STATE],
  },
  'driving-licence': {
    kind: 'driving-licence',
    name: 'Driving licence',
    accepted:
      'a UK photocard driving licence (full or provisional), or a full European photocard driving licence',
    notAccepted: [
      'paper driving licences',
      'provisional or learner licences from outside the UK',
      'UK driver qualification cards',
    ],
    issuers: ['GBR', ...EUROPEAN_STATES],
    excludedIssuers: [SPECIMEN_STATE],
  },
  'national-identity-card': {
    kind: 'national-identity-card',
    name: 'European national identity card',
    accepted: 'a national identity card from an EU or EEA country or Switzerland, except Greece',
    notAccepted: [
      'Greek identity cards',
      'paper Italian identity cards',
      'UK citizen ID or proof of age cards',
    ],
    // Identity cards use the codes I, A and C; IR, AR and CR are residence permits.
    mrz: { formats: ['TD1', 'TD2', 'FRENCH_NATIONAL_ID'], documentCode: /^[IAC](?!R)[A-Z]?$/ },
    issuers: EUROPEAN_STATES,
    excludedIssuers: ['GRC', SPECIMEN_STATE],
  },
  'residence-permit': {
    kind: 'residence-permit',
    name: 'UK biometric residence permit or residence card',
    accepted: 'a UK biometric residence permit (BRP) or UK residence card',
    notAccepted: ['residence permits issued by other countries'],
    mrz: { formats: ['TD1'], documentCode: /^IR$/ },
    issuers: ['GBR'],
    excludedIssuers: [SPECIMEN_STATE],
  },
};

export type DocumentRejection =
  /** The issuing state's documents of this kind are not accepted (a Syrian passport, a Greek ID card). */
  | 'issuer-not-accepted'
  /** The machine readable zone is of another kind of document than the one chosen (or of one not accepted, like a visa). */
  | 'not-this-kind'
  /** This kind always has a machine readable zone, and none was given. */
  | 'zone-missing';

/** What identifies the document: who issued it, and its zone's layout and code when it has one. */
export interface DocumentIdentity {
  readonly kind: DocumentKind;
  readonly issuingState: string;
  readonly mrz?: { readonly format: MrzFormat; readonly documentCode: string };
}

/** Whether the document is one NHS login accepts, and if not, why. */
export function documentRejection(identity: DocumentIdentity): DocumentRejection | undefined {
  const rule = ACCEPTED_DOCUMENTS[identity.kind];
  const issuer = identity.issuingState.toUpperCase();
  if (rule.excludedIssuers.includes(issuer)) return 'issuer-not-accepted';
  if (rule.issuers !== 'any' && !rule.issuers.includes(issuer)) return 'issuer-not-accepted';
  if (rule.mrz) {
    if (!identity.mrz) return 'zone-missing';
    if (!rule.mrz.formats.includes(identity.mrz.format)) return 'not-this-kind';
    if (!rule.mrz.documentCode.test(identity.mrz.documentCode)) return 'not-this-kind';
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Expiry

/** Photo ID that expired less than this many months ago is accepted. */
export const EXPIRY_GRACE_MONTHS = 12;

export type ExpiryStatus =
  /** Not yet expired: a document is valid on its expiry date. */
  | 'in-date'
  /** Expired, less than EXPIRY_GRACE_MONTHS ago: accepted. */
  | 'recently-expired'
  /** Expired EXPIRY_GRACE_MONTHS or more ago. */
  | 'expired'
  /** The document shows no expiry date (some identity cards): an ID checker decides. */
  | 'no-expiry-date';

const isIsoDate = (date: string): boolean => normaliseBirthDate(date) === date;

/**
 * The same day some months later; when that month is shorter, its last day
 * (31 January + 1 month is 28 or 29 February; 29 February + 12 months is 28
 * February), so "12 months after" never spills into the month after.
 */
export function addMonths(isoDate: string, months: number): string {
  if (!isIsoDate(isoDate)) throw new RangeError(`not a YYYY-MM-DD date: ${isoDate}`);
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(year, month - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.toISOString().slice(0, 10);
}

/**
 * Expired less than 12 months ago is accepted: a document that expired on
 * 15 April 2025 is accepted up to and including 14 April 2026, and not from
 * 15 April 2026 (exactly 12 months). Dates are YYYY-MM-DD; `today` is the
 * date in the UK, which the caller knows and the domain does not.
 */
export function expiryStatus(
  expiryDate: string | undefined,
  today: string,
  graceMonths: number = EXPIRY_GRACE_MONTHS,
): ExpiryStatus {
  if (!isIsoDate(today)) throw new RangeError(`not a YYYY-MM-DD date: ${today}`);
  if (expiryDate === undefined) return 'no-expiry-date';
  if (today <= expiryDate) return 'in-date';
  return today < addMonths(expiryDate, graceMonths) ? 'recently-expired' : 'expired';
}

// ---------------------------------------------------------------------------
// The document's details against the national record

/** What the document says about its holder, as read from its zone or typed from it. */
export interface DocumentDetails {
  /** As printed or in the zone: ERIKSSON, Smith-Jones. */
  readonly familyName: string;
  /** Each given name: ['ANNA', 'MARIA']. */
  readonly givenNames: readonly string[];
  /** YYYY-MM-DD; undefined when the document shows an unknown date of birth. */
  readonly birthDate?: string;
  /** YYYY-MM-DD; undefined when the document has none. */
  readonly expiryDate?: string;
  readonly documentNumber: string;
  /** ICAO code: GBR, D, FRA. */
  readonly issuingState: string;
  /**
   * The zone had no room for the whole name (ICAO 9303 truncates long names,
   * filling the field to its last character), so a shorter name on the
   * document may still be the record's name.
   */
  readonly namesMayBeTruncated?: boolean;
}

export type NameComparison = 'same' | 'different' | 'truncated';
export type BirthDateComparison =
  | 'same'
  | 'different'
  /** Same day, month and two-digit year, different century: the zone holds only YYMMDD. */
  | 'century-differs'
  /** The document or the record has no date of birth. */
  | 'unknown';

export interface DetailsComparison {
  readonly familyName: NameComparison;
  readonly givenNames: NameComparison;
  readonly birthDate: BirthDateComparison;
}

// ICAO 9303 part 3 transliterates some letters to two (MÜLLER is MUELLER in
// the zone), where nameKey folds them to one (muller). Both spellings of a
// name are tried, so either one on the document matches the record.
const ICAO_SPELLINGS: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', å: 'aa', ø: 'oe', æ: 'ae' };
const ICAO_LETTERS = /[äöüåøæ]/gu;

/** The comparison keys of a name: demographics-match's nameKey, and the same after ICAO's spellings. */
function nameKeys(name: string): string[] {
  const lower = name.normalize('NFC').toLowerCase();
  return [nameKey(lower), nameKey(lower.replace(ICAO_LETTERS, (c) => ICAO_SPELLINGS[c] ?? c))];
}

function compareNames(document: string, record: string, mayBeTruncated: boolean): NameComparison {
  const onDocument = nameKeys(document);
  const onRecord = nameKeys(record);
  if (onDocument[0] === '' || onRecord[0] === '') return 'different';
  if (onDocument.some((key) => onRecord.includes(key))) return 'same';
  if (mayBeTruncated && onDocument.some((key) => onRecord.some((full) => full.startsWith(key)))) {
    return 'truncated';
  }
  return 'different';
}

/**
 * Compares the document with the record, using demographics-match's name
 * normalisation (case, accents, spaces, hyphens, apostrophes), plus ICAO's
 * two-letter spellings. The family name must be the same. Given names are
 * the same when all of them are, or when the first given names are (PDS often
 * lacks middle names, documents rarely do). Dates of birth must be equal.
 */
export function compareWithRecord(document: DocumentDetails, record: DemographicRecord): DetailsComparison {
  const truncated = document.namesMayBeTruncated === true;
  const familyName =
    record.familyName === undefined
      ? 'different'
      : compareNames(document.familyName, record.familyName, truncated);

  const allOnDocument = document.givenNames.join(' ');
  const allOnRecord = record.givenNames.join(' ');
  let givenNames = compareNames(allOnDocument, allOnRecord, truncated);
  if (givenNames !== 'same') {
    const firsts = compareNames(document.givenNames[0] ?? '', record.givenNames[0] ?? '', false);
    if (firsts === 'same') givenNames = 'same';
  }

  let birthDate: BirthDateComparison;
  if (document.birthDate === undefined || record.birthDate === undefined) birthDate = 'unknown';
  else if (document.birthDate === record.birthDate) birthDate = 'same';
  else if (document.birthDate.slice(2) === record.birthDate.slice(2)) birthDate = 'century-differs';
  else birthDate = 'different';

  return { familyName, givenNames, birthDate };
}

// ---------------------------------------------------------------------------
// Thresholds, as data

/**
 * Face comparison: the euclidean distance between @vladmandic/face-api
 * descriptors of the document portrait and of each video frame (0 is the
 * same image; the model's authors call under 0.6 the same person).
 *
 * - Under 0.40: a strong match, passed automatically. Not the 0.45 sometimes
 *   quoted: in the package's own demo photos (22 faces of different women) the
 *   closest pairs of different people are 0.445 and 0.46 apart, two of them
 *   in the same photo. 0.40 keeps every pair of different people we measured
 *   out of the automatic pass, while the same face photographed differently
 *   (mirrored, tilted, relit, rescaled) measures 0.07 to 0.36.
 * - 0.60 or more: no match, a clear fail (take the video again, or have the
 *   face compared in person). Different people in those photos measure 0.6
 *   to 0.9.
 * - In between: an ID checker decides. Real document photos are years old,
 *   small and printed behind security patterns, so genuine matches often land
 *   here: that is the checker's work, not the person's failure.
 *
 * The median over the frames is compared, so one blurred frame cannot pass or
 * fail the check alone.
 */
export const FACE_THRESHOLDS = {
  strongMatch: 0.4,
  noMatch: 0.6,
  /** Any two frames further apart than this may show different people (the video must be one person). */
  sameVideoPerson: 0.6,
} as const;

/**
 * Liveness, as far as still frames can tell: a face in every sampled frame,
 * and the face changing shape between them (speaking the four digits moves
 * the mouth and jaw; a photo held to the camera only moves as a whole).
 * `movement` is the largest difference between two frames' 68 landmarks once
 * position, size and tilt are taken out, in units of the distance between
 * the eyes (see src/adapters/face-match/liveness.ts). Measured here on the
 * face-api demo photos: frames of one still photo, shifted, scaled by up to
 * a fifth and tilted by up to 5 degrees, measure 0.016 to 0.046 (the
 * landmark detector's own jitter); the lower face stretched by a fifth,
 * roughly a jaw dropping to speak, 0.05 to 0.09. No recordings of real
 * speech were available offline, so 0.05 is a first setting, to be tuned on
 * the ID checkers' decisions. Below it an ID checker watches the video: a
 * still person is not proof of a spoof, only of nothing to tell them apart.
 */
export const LIVENESS_THRESHOLDS = {
  /** The page samples this many frames from the video; fewer means it was tampered with or failed. */
  minFrames: 3,
  minMovement: 0.05,
} as const;

export interface PhotoIdPolicy {
  readonly expiryGraceMonths: number;
  readonly face: { readonly strongMatch: number; readonly noMatch: number; readonly sameVideoPerson: number };
  readonly liveness: { readonly minFrames: number; readonly minMovement: number };
  /**
   * What an automatic pass needs beyond the measurements. Both default to
   * false, and why matters:
   * - Details typed by the person prove nothing about the photo: anyone can
   *   type a valid zone for someone else's name and date of birth (the check
   *   digits are public arithmetic), then photograph any card showing their
   *   own face. Until a machine reads the zone from the photo (an OCR
   *   adapter; none runs offline here), an ID checker must confirm the typed
   *   details are the ones in the photo.
   * - The four random digits are what makes the video live rather than
   *   replayed. No speech or lip reading runs offline here, so until an
   *   adapter confirms them an ID checker watches for them.
   * With both false, this build refers every photo ID check that does not
   * clearly fail; the automated results still save the checker's time.
   */
  readonly autoPass: {
    readonly withDetailsTypedByPerson: boolean;
    readonly withSpokenDigitsUnchecked: boolean;
  };
}

export const PHOTO_ID_POLICY: PhotoIdPolicy = {
  expiryGraceMonths: EXPIRY_GRACE_MONTHS,
  face: FACE_THRESHOLDS,
  liveness: LIVENESS_THRESHOLDS,
  autoPass: { withDetailsTypedByPerson: false, withSpokenDigitsUnchecked: false },
};

// ---------------------------------------------------------------------------
// The evidence

/** The document, as the document-check adapter hands it over. */
export interface DocumentEvidence {
  readonly identity: DocumentIdentity;
  readonly details: DocumentDetails;
  /** Who read the details off the document. */
  readonly source: 'machine-read' | 'typed-by-person';
  /**
   * The document's own consistency check: the zone's check digits, or a UK
   * driving licence number against the name and date of birth. Absent when
   * the document has no such check (European driving licences).
   */
  readonly integrity:
    { readonly valid: true } | { readonly valid: false; readonly problems: readonly string[] } | undefined;
}

/** One sampled video frame. */
export interface FrameEvidence {
  readonly faces: number;
  /** Distance from the document portrait to this frame's main face, when both were found. */
  readonly distance?: number;
}

/** The face comparison and liveness measurements (src/adapters/face-match/liveness.ts). */
export interface FaceEvidence {
  /** Faces found in the photo of the document (a ghost image makes two). */
  readonly documentFaces: number;
  readonly frames: readonly FrameEvidence[];
  /** Largest landmark shape change between two frames with a face (see LIVENESS_THRESHOLDS). */
  readonly movement: number;
  /** Largest descriptor distance between two frames' faces; undefined with fewer than two. */
  readonly spread?: number;
}

export interface PhotoIdEvidence {
  /** YYYY-MM-DD in the UK. */
  readonly today: string;
  readonly document: DocumentEvidence;
  /** The PDS record the person matched at P5. */
  readonly record: DemographicRecord;
  readonly face: FaceEvidence;
  /** Whether a machine confirmed the four random digits were spoken (or signed, or shown) in the video. */
  readonly spokenDigits: 'confirmed' | 'not-checked';
}

// ---------------------------------------------------------------------------
// The decision

export type FailReason =
  | 'document-not-accepted'
  | 'document-details-invalid'
  | 'document-expired'
  | 'birth-date-differs'
  | 'no-face-on-document'
  | 'face-does-not-match'
  | 'no-face-in-video';

export type ReferReason =
  | 'no-expiry-date'
  | 'no-document-check'
  | 'details-typed-by-person'
  | 'family-name-differs'
  | 'given-names-differ'
  | 'name-may-be-truncated'
  | 'birth-date-century-differs'
  | 'birth-date-unknown'
  | 'face-match-uncertain'
  | 'too-few-frames'
  | 'face-missing-in-some-frames'
  | 'more-than-one-face-in-video'
  | 'no-movement'
  | 'video-may-show-different-people'
  | 'spoken-digits-not-checked';

export type CheckName =
  | 'document-accepted'
  | 'document-integrity'
  | 'expiry'
  | 'details-source'
  | 'family-name'
  | 'given-names'
  | 'birth-date'
  | 'document-face'
  | 'face-match'
  | 'liveness'
  | 'spoken-digits';

/** One automated check's result, kept with the decision for the ID checker and the audit. */
export type CheckResult =
  | { readonly check: CheckName; readonly result: 'pass'; readonly value?: number | string }
  | {
      readonly check: CheckName;
      readonly result: 'fail';
      readonly reason: FailReason;
      readonly value?: number | string;
    }
  | {
      readonly check: CheckName;
      readonly result: 'refer';
      readonly reason: ReferReason;
      readonly value?: number | string;
    };

export type NextStep =
  | 'use-another-document'
  | 'retake-document-photo'
  | 'check-document-details'
  | 'retake-video'
  | 'contact-gp-surgery'
  | 'prove-at-gp-surgery'
  | 'use-gp-online-details';

export type PhotoIdDecision =
  | { readonly outcome: 'pass'; readonly checks: readonly CheckResult[] }
  | {
      readonly outcome: 'fail';
      readonly reasons: readonly FailReason[];
      readonly nextSteps: readonly NextStep[];
      readonly checks: readonly CheckResult[];
    }
  | {
      readonly outcome: 'refer';
      readonly reasons: readonly ReferReason[];
      readonly checks: readonly CheckResult[];
    };

/** What to try next after each clear fail, most useful first. */
export const NEXT_STEPS_AFTER: Readonly<Record<FailReason, readonly NextStep[]>> = {
  'document-not-accepted': ['use-another-document', 'use-gp-online-details'],
  'document-details-invalid': ['check-document-details', 'retake-document-photo'],
  'document-expired': ['use-another-document', 'use-gp-online-details'],
  'birth-date-differs': ['contact-gp-surgery', 'use-another-document'],
  'no-face-on-document': ['retake-document-photo', 'use-another-document'],
  'face-does-not-match': ['retake-video', 'prove-at-gp-surgery'],
  'no-face-in-video': ['retake-video', 'prove-at-gp-surgery'],
};

/** The words the person sees for each next step. */
export const NEXT_STEP_TEXT: Readonly<Record<NextStep, string>> = {
  'use-another-document':
    'Try again with a different photo ID, such as a passport or photocard driving licence. It must be in date or have expired less than 12 months ago.',
  'retake-document-photo':
    'Take a new photo of your ID. Make sure all 4 corners are in the photo, the writing is clear and there is no shine or glare.',
  'check-document-details':
    'Check that the details you entered are exactly as they are on your ID, then try again.',
  'retake-video':
    'Record your video again somewhere well lit. Look at the camera, keep your whole face in view and make sure nobody else is in the video.',
  'contact-gp-surgery':
    'If your name or date of birth is wrong on your GP record, ask your GP surgery to correct it, then try again.',
  'prove-at-gp-surgery': 'You can ask your GP surgery to check your photo ID with you in person instead.',
  'use-gp-online-details':
    'If you use GP online services, you can prove who you are with the details your GP surgery gave you.',
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

type CheckOf<R extends CheckResult['result']> = Extract<CheckResult, { result: R }>;
const pass = (check: CheckName, value?: number | string): CheckOf<'pass'> =>
  value === undefined ? { check, result: 'pass' } : { check, result: 'pass', value };
const fail = (check: CheckName, reason: FailReason, value?: number | string): CheckOf<'fail'> =>
  value === undefined ? { check, result: 'fail', reason } : { check, result: 'fail', reason, value };
const refer = (check: CheckName, reason: ReferReason, value?: number | string): CheckOf<'refer'> =>
  value === undefined ? { check, result: 'refer', reason } : { check, result: 'refer', reason, value };

function documentChecks(evidence: PhotoIdEvidence, policy: PhotoIdPolicy): CheckResult[] {
  const { document, record, today } = evidence;
  const checks: CheckResult[] = [];

  const rejection = documentRejection(document.identity);
  checks.push(
    rejection ? fail('document-accepted', 'document-not-accepted', rejection) : pass('document-accepted'),
  );

  if (!document.integrity) checks.push(refer('document-integrity', 'no-document-check'));
  else if (document.integrity.valid) checks.push(pass('document-integrity'));
  else
    checks.push(
      fail('document-integrity', 'document-details-invalid', document.integrity.problems.join('; ')),
    );

  const expiry = expiryStatus(document.details.expiryDate, today, policy.expiryGraceMonths);
  if (expiry === 'expired') checks.push(fail('expiry', 'document-expired', document.details.expiryDate));
  else if (expiry === 'no-expiry-date') checks.push(refer('expiry', 'no-expiry-date'));
  else checks.push(pass('expiry', expiry));

  if (document.source === 'typed-by-person' && !policy.autoPass.withDetailsTypedByPerson) {
    checks.push(refer('details-source', 'details-typed-by-person'));
  } else {
    checks.push(pass('details-source', document.source));
  }

  // Names refer rather than fail: people change their names (marriage,
  // deed poll) before PDS or the document catches up, transliterations
  // differ, and zones truncate. A human reads them in a moment.
  const compared = compareWithRecord(document.details, record);
  const nameCheck = (check: CheckName, comparison: NameComparison, differs: ReferReason): CheckResult =>
    comparison === 'same'
      ? pass(check)
      : refer(check, comparison === 'truncated' ? 'name-may-be-truncated' : differs);
  checks.push(nameCheck('family-name', compared.familyName, 'family-name-differs'));
  checks.push(nameCheck('given-names', compared.givenNames, 'given-names-differ'));
  // A different date of birth fails: either the document is someone else's,
  // or the GP record is wrong and the person's surgery should correct it.
  const birth: Record<BirthDateComparison, CheckResult> = {
    same: pass('birth-date'),
    different: fail('birth-date', 'birth-date-differs'),
    'century-differs': refer('birth-date', 'birth-date-century-differs'),
    unknown: refer('birth-date', 'birth-date-unknown'),
  };
  checks.push(birth[compared.birthDate]);
  return checks;
}

function faceChecks(evidence: PhotoIdEvidence, policy: PhotoIdPolicy): CheckResult[] {
  const { face } = evidence;
  const checks: CheckResult[] = [];

  checks.push(
    face.documentFaces === 0
      ? fail('document-face', 'no-face-on-document', 0)
      : pass('document-face', face.documentFaces),
  );

  const withFace = face.frames.filter((frame) => frame.faces > 0);
  if (face.frames.length < policy.liveness.minFrames) {
    checks.push(refer('liveness', 'too-few-frames', face.frames.length));
  }
  if (withFace.length === 0) {
    checks.push(fail('liveness', 'no-face-in-video', 0));
  } else {
    if (withFace.length < face.frames.length) {
      checks.push(refer('liveness', 'face-missing-in-some-frames', face.frames.length - withFace.length));
    }
    if (face.frames.some((frame) => frame.faces > 1)) {
      checks.push(
        refer('liveness', 'more-than-one-face-in-video', Math.max(...face.frames.map((f) => f.faces))),
      );
    }
    if (face.movement < policy.liveness.minMovement)
      checks.push(refer('liveness', 'no-movement', face.movement));
    if (face.spread !== undefined && face.spread >= policy.face.sameVideoPerson) {
      checks.push(refer('liveness', 'video-may-show-different-people', face.spread));
    }
    if (!checks.some((check) => check.check === 'liveness')) checks.push(pass('liveness', face.movement));
  }

  const distances = face.frames.flatMap((frame) => (frame.distance === undefined ? [] : [frame.distance]));
  if (face.documentFaces > 0 && distances.length > 0) {
    const distance = median(distances);
    if (distance < policy.face.strongMatch) checks.push(pass('face-match', distance));
    else if (distance >= policy.face.noMatch)
      checks.push(fail('face-match', 'face-does-not-match', distance));
    else checks.push(refer('face-match', 'face-match-uncertain', distance));
  }

  if (evidence.spokenDigits === 'confirmed') checks.push(pass('spoken-digits'));
  else if (policy.autoPass.withSpokenDigitsUnchecked) checks.push(pass('spoken-digits', 'not-checked'));
  else checks.push(refer('spoken-digits', 'spoken-digits-not-checked'));
  return checks;
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * The automated decision on a photo ID check. Any clear fail fails the whole
 * check (with what to try next); otherwise anything uncertain refers it to an
 * ID checker (with every reason); otherwise it passes. Every check's result
 * comes back either way, to be kept with the evidence.
 */
export function decidePhotoIdCheck(
  evidence: PhotoIdEvidence,
  policy: PhotoIdPolicy = PHOTO_ID_POLICY,
): PhotoIdDecision {
  const checks = [...documentChecks(evidence, policy), ...faceChecks(evidence, policy)];
  const failures = unique(checks.flatMap((check) => (check.result === 'fail' ? [check.reason] : [])));
  if (failures.length > 0) {
    return {
      outcome: 'fail',
      reasons: failures,
      nextSteps: unique(failures.flatMap((reason) => NEXT_STEPS_AFTER[reason])),
      checks,
    };
  }
  const referrals = unique(checks.flatMap((check) => (check.result === 'refer' ? [check.reason] : [])));
  if (referrals.length > 0) return { outcome: 'refer', reasons: referrals, checks };
  return { outcome: 'pass', checks };
}
