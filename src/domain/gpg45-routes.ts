// How each proofing route's outcome becomes a GPG45 evidence record. The
// journeys feed facts in (what PDS, the document check, the face comparison,
// the GP system or a member of staff said); the scores, and the words that
// explain them, come from here and from the tables below, never from the
// journeys.
//
// Sources. GPG45 itself describes each score in prose and leaves the
// scoring of a given check to the service. Where a rule below relies on a
// published scoring, it is GOV.UK One Login's, which implements GPG45 and is
// public: its face-to-face (Post Office) credential issuer
// (govuk-one-login/ipv-cri-f2f-api, GenerateVerifiableCredential.ts) and its
// app credential issuer (govuk-one-login/mobile-id-check-async) score a
// photo ID's strength by document type and by whether its chip verified to
// the issuing state, validity 3 for a verified chip and 2 for a document
// checked as genuine without one, and verification 3 for a face match with
// liveness ("bvr") or by a person ("pvr"). NIST SP 800-63A calls a physical
// comparison of the applicant with the photo on the strongest evidence
// "in-person physical verification". What is our own reading is said so.
import type { MatchFailure } from './demographics-match.js';
import { decide, type Evidence, type EvidenceRecord, type Score } from './gpg45.js';

export type ProofingRoute = 'demographics' | 'photo-id' | 'gp-online-services' | 'in-person';

/** The outcome of matching the claimed identity against PDS (see demographics-match.ts). */
export type PdsOutcome = 'matched' | MatchFailure;

export interface RouteScore {
  readonly route: ProofingRoute;
  readonly record: EvidenceRecord;
  /** Every reason in the record, as lines. */
  readonly reasons: readonly string[];
  /** The automation could not decide: a human ID checker should look (photo route only). */
  readonly needsReview: boolean;
  readonly reviewReasons: readonly string[];
}

// ---------------------------------------------------------------------------
// What every route shares

const NO_ACTIVITY = [
  'not checked: NHS login looks at no history of the identity being used over time (GPG45 activity history), so 0',
];

/**
 * PDS is the national register of everyone with an NHS number, deaths
 * included. Finding exactly one living person there shows the identity
 * exists in an authoritative source and is not that of someone who has
 * died: our reading of GPG45's lowest identity fraud score (1). It is not a
 * check against fraud data, so never more.
 */
function pdsParts(pds: PdsOutcome): Pick<EvidenceRecord, 'fraud' | 'pdsMatched'> & {
  fraudReasons: string[];
  pdsReasons: string[];
} {
  switch (pds) {
    case 'matched':
      return {
        fraud: 1,
        pdsMatched: true,
        fraudReasons: [
          'the identity exists in the national demographics record (PDS) and is not recorded as having died, so 1; no fraud data was consulted',
        ],
        pdsReasons: ['the details given matched exactly one living person in PDS'],
      };
    case 'deceased':
      return {
        fraud: 0,
        pdsMatched: false,
        fraudReasons: ['the only matching PDS record is of a person who has died: a fraud signal, so 0'],
        pdsReasons: ['the only matching PDS record is of a person who has died'],
      };
    case 'ambiguous':
      return {
        fraud: 0,
        pdsMatched: false,
        fraudReasons: ['no single PDS record to check against, so 0'],
        pdsReasons: ['more than one PDS record matched, and NHS login never chooses between people'],
      };
    case 'no-match':
      return {
        fraud: 0,
        pdsMatched: false,
        fraudReasons: ['no PDS record to check against, so 0'],
        pdsReasons: ['no PDS record matched the details given'],
      };
  }
}

function finish(
  route: ProofingRoute,
  parts: {
    pds: PdsOutcome;
    evidence: Evidence[];
    verification: Score;
    verificationReasons: string[];
  },
  review: string[] = [],
): RouteScore {
  const pds = pdsParts(parts.pds);
  const record: EvidenceRecord = {
    evidence: parts.evidence,
    activity: 0,
    fraud: pds.fraud,
    verification: parts.verification,
    pdsMatched: pds.pdsMatched,
    reasons: {
      activity: NO_ACTIVITY,
      fraud: pds.fraudReasons,
      verification: parts.verificationReasons,
      pds: pds.pdsReasons,
    },
  };
  const reasons = [
    ...record.evidence.flatMap((e) => e.reasons.map((r) => `${e.kind} (${e.strength},${e.validity}): ${r}`)),
    ...record.reasons.activity.map((r) => `activity history ${record.activity}: ${r}`),
    ...record.reasons.fraud.map((r) => `identity fraud ${record.fraud}: ${r}`),
    ...record.reasons.verification.map((r) => `verification ${record.verification}: ${r}`),
    ...record.reasons.pds.map((r) => `demographics: ${r}`),
  ];
  return { route, record, reasons, needsReview: review.length > 0, reviewReasons: review };
}

// ---------------------------------------------------------------------------
// (a) P5: the demographic match

export interface DemographicsFacts {
  readonly pds: PdsOutcome;
}

/**
 * A demographic match is not GPG45 evidence: the person presents nothing,
 * they type details (NHS number, name, date of birth, postcode) that family
 * and others may know, so there is no piece of evidence and no verification.
 * It meets no GPG45 profile, not even low, and the record says so; P5 is
 * NHS login's own "demographic match" level (see NHS_LEVEL_FOR_CONFIDENCE).
 */
export function scoreDemographicMatch(facts: DemographicsFacts): RouteScore {
  return finish('demographics', {
    pds: facts.pds,
    evidence: [],
    verification: 0,
    verificationReasons: [
      'nothing ties the person to the record: the details typed can be known by others, and GPG45 knowledge-based verification needs questions only the person could answer, so 0',
    ],
  });
}

// ---------------------------------------------------------------------------
// Photo ID: the documents and how strong each is

export type PhotoDocumentKind =
  'passport' | 'driving-licence' | 'residence-permit' | 'national-identity-card' | 'proof-of-age-card';

export interface PhotoDocumentRule {
  readonly label: string;
  /** Whether the document carries a machine readable zone with check digits. */
  readonly hasMrz: boolean;
  /** Strength when its chip was read and verified to the issuing state, and when not. */
  readonly strength: { readonly chipVerified: Score; readonly otherwise: Score };
  readonly source: string;
}

/**
 * GPG45 strength is how hard the evidence is to obtain and to forge. We
 * score it as One Login does: strength 4 only for a document whose chip was
 * read and verified (a UK passport at the Post Office, any chipped passport
 * in its app), 3 for a passport, national identity card or photocard
 * driving licence whose chip was not (a photograph cannot read a chip).
 */
export const PHOTO_DOCUMENTS: Readonly<Record<PhotoDocumentKind, PhotoDocumentRule>> = {
  passport: {
    label: 'passport',
    hasMrz: true,
    strength: { chipVerified: 4, otherwise: 3 },
    source: 'One Login: a passport whose chip verifies to its issuing state scores 4, otherwise 3',
  },
  'driving-licence': {
    label: 'photocard driving licence',
    hasMrz: false,
    strength: { chipVerified: 3, otherwise: 3 },
    source: 'One Login: UK and EU photocard driving licences score 3',
  },
  'residence-permit': {
    label: 'biometric residence permit or card',
    hasMrz: true,
    strength: { chipVerified: 4, otherwise: 3 },
    source:
      'One Login scores a chip-verified permit 4; without a chip read we score it 3, as for a passport (our reading: the Post Office route gives 4 regardless)',
  },
  'national-identity-card': {
    label: 'national identity card',
    hasMrz: true,
    strength: { chipVerified: 4, otherwise: 3 },
    source: 'One Login: an EEA identity card scores 4 with a verified chip, otherwise 3',
  },
  'proof-of-age-card': {
    label: 'proof of age card (PASS)',
    hasMrz: false,
    strength: { chipVerified: 2, otherwise: 2 },
    source: 'our reading: issued after checking other documents, with fewer security features, so 2',
  },
};

/**
 * Whether a document is in date, as photo-id.ts's expiryStatus() decides it
 * (the same words): photo ID that expired less than 12 months ago is
 * accepted; some identity cards show no expiry date, and an ID checker
 * decides those.
 */
export type ExpiryFact = 'in-date' | 'recently-expired' | 'expired' | 'no-expiry-date';

const EXPIRY_WORDS: Record<ExpiryFact, string> = {
  'in-date': 'in date',
  'recently-expired': 'expired less than 12 months ago, which is accepted',
  expired: 'expired 12 months or more ago',
  'no-expiry-date': 'shows no expiry date',
};

function documentStrength(
  kind: PhotoDocumentKind,
  chipVerified: boolean,
): { strength: Score; reason: string } {
  const rule = PHOTO_DOCUMENTS[kind];
  const strength = chipVerified ? rule.strength.chipVerified : rule.strength.otherwise;
  const chip = chipVerified ? 'chip read and verified' : 'no chip read';
  return { strength, reason: `strength ${strength}: ${rule.label}, ${chip} (${rule.source})` };
}

// ---------------------------------------------------------------------------
// (b) Photo ID and a short video, online

export interface PhotoDocumentFacts {
  readonly kind: PhotoDocumentKind;
  /** The chip was read and its signature verified to the issuing state (never from a photograph). */
  readonly chipVerified?: boolean;
  /** The machine readable zone's check digits; 'none' when there is no zone or it could not be read. */
  readonly mrz: 'valid' | 'invalid' | 'none';
  readonly expiry: ExpiryFact;
  /** The name and date of birth on the document agree with the matched PDS record. */
  readonly detailsMatchPds: boolean;
  /** An automated check of the document's security features, if there is one. */
  readonly authenticity?: 'genuine' | 'not-genuine' | 'not-checked';
}

/**
 * The automated face checks, as photo-id.ts decides them from the
 * measurements (its FACE_THRESHOLDS, LIVENESS_THRESHOLDS and
 * PHOTO_ID_POLICY are the thresholds, kept as data there, so that one set of
 * numbers decides): 'refer' is what the automation cannot decide.
 */
export interface FaceFacts {
  /** Document photo against the video. */
  readonly comparison: 'match' | 'refer' | 'no-match';
  /** The video is of a live person: the face moves as it speaks, and the four random digits were said. */
  readonly liveness: 'live' | 'refer' | 'not-live';
  /** The measured face-api distance (median over the frames), for the record. */
  readonly distance?: number;
}

/** A human ID checker's decision, taken with the evidence side by side. */
export interface IdCheckerReview {
  readonly document: 'genuine' | 'not-genuine';
  readonly face: 'same-person' | 'different-person';
  readonly reason: string;
}

export interface PhotoIdFacts {
  readonly pds: PdsOutcome;
  readonly document: PhotoDocumentFacts;
  readonly face: FaceFacts;
  readonly review?: IdCheckerReview;
}

/**
 * Validity: 0 when any check fails (check digits, expiry beyond the grace
 * period, details that differ from PDS, a document found not genuine); 3
 * for a verified chip; 2 when the document's security features were checked
 * as genuine (an automated document check or a trained ID checker: One
 * Login gives a document checked without its chip 2); 1 when check digits,
 * expiry and PDS agree but nobody has looked at the security features,
 * which a forger can copy (the check digits are public arithmetic), so an
 * ID checker must look.
 *
 * Verification: 3 when the document photo and a live video are the same
 * person, decided automatically or by an ID checker (One Login: 'bvr' and
 * 'pvr', both 3); 0 otherwise, sending what the automation could not decide
 * to an ID checker.
 */
export function scorePhotoId(facts: PhotoIdFacts): RouteScore {
  const { document, face, review } = facts;
  const rule = PHOTO_DOCUMENTS[document.kind];
  const toReview: string[] = [];
  const strength = documentStrength(document.kind, document.chipVerified === true);
  const docReasons = [strength.reason];

  const failures: string[] = [];
  if (document.mrz === 'invalid') failures.push('the machine readable zone check digits are wrong');
  if (document.mrz === 'none' && rule.hasMrz) {
    failures.push(`a ${rule.label} has a machine readable zone, and none could be read`);
  }
  if (document.expiry === 'expired') failures.push(EXPIRY_WORDS.expired);
  if (!document.detailsMatchPds) failures.push('the name or date of birth differ from the national record');
  if (document.authenticity === 'not-genuine')
    failures.push('the automated document check found it not genuine');
  if (review?.document === 'not-genuine')
    failures.push(`an ID checker found it not genuine: ${review.reason}`);

  let validity: Score;
  if (failures.length > 0) {
    validity = 0;
    docReasons.push(`validity 0: ${failures.join('; ')}`);
  } else {
    const agreed = [
      rule.hasMrz ? 'check digits correct' : 'no machine readable zone to check',
      EXPIRY_WORDS[document.expiry],
      'name and date of birth agree with PDS',
    ].join(', ');
    if (document.chipVerified === true && document.expiry !== 'no-expiry-date') {
      validity = 3;
      docReasons.push(`validity 3: chip signature verified to the issuing state; ${agreed}`);
    } else if (review?.document === 'genuine') {
      validity = 2;
      docReasons.push(
        `validity 2: a trained ID checker examined the document as genuine (${review.reason}); ${agreed}`,
      );
    } else if (document.authenticity === 'genuine' && document.expiry !== 'no-expiry-date') {
      validity = 2;
      docReasons.push(
        `validity 2: the automated document check found its security features genuine; ${agreed}`,
      );
    } else {
      validity = 1;
      docReasons.push(`validity 1: ${agreed}, but nobody has examined it as genuine`);
      toReview.push(
        document.expiry === 'no-expiry-date'
          ? 'the document shows no expiry date'
          : 'the document has not been examined as genuine',
      );
    }
  }

  const measured = face.distance === undefined ? '' : ` (distance ${face.distance.toFixed(2)})`;
  let verification: Score = 0;
  const verificationReasons: string[] = [];
  let faceFailed = false;
  if (review) {
    if (review.face === 'same-person') {
      verification = 3;
      verificationReasons.push(
        `a trained ID checker compared the person in the video with the document photo side by side and found them the same person (${review.reason}), so 3`,
      );
    } else {
      faceFailed = true;
      verificationReasons.push(
        `an ID checker found the person in the video is not the person in the photo (${review.reason}), so 0`,
      );
    }
  } else if (face.comparison === 'no-match') {
    faceFailed = true;
    verificationReasons.push(`the face in the video is not the face in the photo${measured}, so 0`);
  } else if (face.liveness === 'not-live') {
    faceFailed = true;
    verificationReasons.push('the video is not of a live person, so 0');
  } else if (face.comparison === 'refer') {
    verificationReasons.push(`the faces may match${measured}: an ID checker decides, so 0 for now`);
    toReview.push('the face comparison is too close to call');
  } else if (face.liveness === 'refer') {
    verificationReasons.push(
      `the faces match${measured} but the video has not been shown to be of a live person, so 0 for now`,
    );
    toReview.push('the video has not been shown to be of a live person');
  } else {
    verification = 3;
    verificationReasons.push(
      `automated face comparison: the document photo and a live video are the same person${measured}, so 3`,
    );
  }

  // Nothing to review when something has already failed for certain.
  const settled = review !== undefined || validity === 0 || faceFailed || facts.pds !== 'matched';
  return finish(
    'photo-id',
    {
      pds: facts.pds,
      evidence: [{ kind: document.kind, strength: strength.strength, validity, reasons: docReasons }],
      verification,
      verificationReasons,
    },
    settled ? [] : toReview,
  );
}

// ---------------------------------------------------------------------------
// (c) GP online services details

export interface GpOnlineServicesFacts {
  readonly pds: PdsOutcome;
  /** What the GP clinical system (IM1) said of the Account ID, Linkage Key and practice ODS code. */
  readonly linkage: 'verified' | 'not-recognised' | 'already-used';
  /** The GP record the details lead to carries the NHS number of the PDS match. */
  readonly sameNhsNumber: boolean;
}

/**
 * A practice issues GP online services details only after checking who the
 * person is, face to face (NHS England's good practice guidance on identity
 * verification: photo ID, or vouching by staff who know the patient), and
 * gives them to that person. The details are evidence issued by a trusted
 * organisation: strength 2 (a letter with numbers, with no security features
 * of its own: our reading), validity 2 when the issuer's own system confirms
 * them through IM1, and verification 3 inherited from the practice's face to
 * face check. Each set of details proves one account only.
 */
export function scoreGpOnlineServices(facts: GpOnlineServicesFacts): RouteScore {
  const reasons = [
    'strength 2: issued in person by the GP practice after it checked who the person is; the details have no security features of their own',
  ];
  let validity: Score = 0;
  if (facts.linkage === 'already-used') {
    reasons.push(
      'validity 0: these details have already proved another account, and each set proves one only',
    );
  } else if (facts.linkage === 'not-recognised') {
    reasons.push(
      'validity 0: the GP system did not recognise the Account ID, Linkage Key and practice together',
    );
  } else if (!facts.sameNhsNumber) {
    reasons.push(
      'validity 0: the GP record the details lead to has a different NHS number from the PDS match',
    );
  } else {
    validity = 2;
    reasons.push('validity 2: the GP clinical system that issued them confirmed the details through IM1');
  }
  const verified = validity > 0;
  return finish('gp-online-services', {
    pds: facts.pds,
    evidence: [{ kind: 'gp-online-services', strength: 2, validity, reasons }],
    verification: verified ? 3 : 0,
    verificationReasons: [
      verified
        ? 'the practice identified the person face to face before issuing the details to them; NHS login relies on that comparison by a trusted organisation, so 3'
        : 'the details were not confirmed, so nothing links the person to a face to face check, so 0',
    ],
  });
}

// ---------------------------------------------------------------------------
// (d) In person at a GP practice (or other health or care organisation)

export interface InPersonPhotoIdFacts {
  readonly method: 'photo-id';
  readonly pds: PdsOutcome;
  /** ODS code of the organisation whose staff checked. */
  readonly odsCode: string;
  readonly document: {
    readonly kind: PhotoDocumentKind;
    readonly chipVerified?: boolean;
    /** As photo-id.ts's expiryStatus() gives it; staff decide a document with no expiry date. */
    readonly expiry: ExpiryFact;
    readonly detailsMatchPds: boolean;
    /** The member of staff examined the physical document in hand. */
    readonly examined: 'genuine' | 'not-genuine';
  };
  /** The member of staff compared the person in front of them with the photo. */
  readonly faceMatches: boolean;
}

export interface InPersonVouchFacts {
  readonly method: 'vouch';
  readonly pds: PdsOutcome;
  readonly odsCode: string;
  /** The health professional knows the person. */
  readonly knowsPerson: boolean;
  /** And has access to their health record, and checked it is theirs. */
  readonly checkedHealthRecord: boolean;
}

export type InPersonFacts = InPersonPhotoIdFacts | InPersonVouchFacts;

/**
 * Photo ID checked face to face: strength as for the document; validity 2
 * when staff examined the physical document (its security features in hand)
 * and it is in date and agrees with PDS, 3 with a verified chip; and
 * verification 3, a physical comparison of the person with the photo (what
 * NHS login's P9 means, and what NIST SP 800-63A calls in-person physical
 * verification).
 *
 * Vouching: a health professional who knows the person and has their health
 * record confirms who they are (domain.md route 3; NHS England's guidance
 * calls it identification by vouching). GPG45 counts a vouch as a piece of
 * evidence; we score it (2,2) and the professional's face to face
 * recognition as verification 3. Our reading, made because NHS login gives
 * P9 for it; a stricter deployment can lower it here.
 */
export function scoreInPerson(facts: InPersonFacts): RouteScore {
  if (facts.method === 'vouch') {
    const vouched = facts.knowsPerson && facts.checkedHealthRecord;
    return finish('in-person', {
      pds: facts.pds,
      evidence: [
        {
          kind: 'vouch',
          strength: vouched ? 2 : 0,
          validity: vouched ? 2 : 0,
          reasons: [
            vouched
              ? `strength 2, validity 2: a health professional at ${facts.odsCode} who knows the person and checked their health record vouched for who they are`
              : `0: the professional at ${facts.odsCode} did not both know the person and check their health record`,
          ],
        },
      ],
      verification: vouched ? 3 : 0,
      verificationReasons: [
        vouched
          ? 'the professional recognised the person face to face, so 3'
          : 'no one recognised the person face to face, so 0',
      ],
    });
  }

  const { document } = facts;
  const rule = PHOTO_DOCUMENTS[document.kind];
  const strength = documentStrength(document.kind, document.chipVerified === true);
  const docReasons = [strength.reason];
  const expiry = EXPIRY_WORDS[document.expiry];
  const failures: string[] = [];
  if (document.expiry === 'expired') failures.push(expiry);
  if (!document.detailsMatchPds) failures.push('the name or date of birth differ from the national record');
  if (document.examined === 'not-genuine') failures.push(`staff at ${facts.odsCode} found it not genuine`);
  let validity: Score;
  if (failures.length > 0) {
    validity = 0;
    docReasons.push(`validity 0: ${failures.join('; ')}`);
  } else if (document.chipVerified === true) {
    validity = 3;
    docReasons.push(`validity 3: chip signature verified to the issuing state; ${expiry}`);
  } else {
    validity = 2;
    docReasons.push(
      `validity 2: staff at ${facts.odsCode} examined the ${rule.label} in hand as genuine; ${expiry}; name and date of birth agree with PDS`,
    );
  }
  return finish('in-person', {
    pds: facts.pds,
    evidence: [{ kind: document.kind, strength: strength.strength, validity, reasons: docReasons }],
    verification: facts.faceMatches ? 3 : 0,
    verificationReasons: [
      facts.faceMatches
        ? `staff at ${facts.odsCode} compared the person in front of them with the photo (a physical comparison), so 3`
        : `staff at ${facts.odsCode} did not find the person to be the one in the photo, so 0`,
    ],
  });
}

/**
 * The GPG45 record and decision of one attempt, as stored with its evidence
 * (proofing_attempts.evidence.gpg45, a provisioning request's evidence): what
 * support staff and auditors read to see why a person has their level.
 */
export function gpg45Evidence(score: RouteScore): Record<string, unknown> {
  const decision = decide(score.record);
  return {
    route: score.route,
    confidence: decision.confidence,
    profile: decision.profile?.profile.name ?? null,
    profilesMet: decision.profilesMet,
    level: decision.level,
    scores: {
      evidence: score.record.evidence.map((e) => ({
        kind: e.kind,
        strength: e.strength,
        validity: e.validity,
      })),
      activity: score.record.activity,
      fraud: score.record.fraud,
      verification: score.record.verification,
      pdsMatched: score.record.pdsMatched,
    },
    reasons: score.reasons,
    explanation: decision.explanation,
  };
}
