import { describe, expect, it } from 'vitest';

import type { DemographicRecord } from './demographics-match.js';
import {
  ACCEPTED_DOCUMENTS,
  addMonths,
  compareWithRecord,
  decidePhotoIdCheck,
  documentRejection,
  expiryStatus,
  FACE_THRESHOLDS,
  LIVENESS_THRESHOLDS,
  NEXT_STEP_TEXT,
  NEXT_STEPS_AFTER,
  PHOTO_ID_POLICY,
  type DocumentDetails,
  type DocumentIdentity,
  type FaceEvidence,
  type PhotoIdEvidence,
  type PhotoIdPolicy,
} from './photo-id.js';

const PRIYA: DemographicRecord = {
  nhsNumber: '9990000018',
  familyName: 'Ashworth',
  givenNames: ['Priya'],
  birthDate: '1984-03-17',
  postcode: 'LS1 5HD',
  deceased: false,
};

const PASSPORT: DocumentDetails = {
  familyName: 'ASHWORTH',
  givenNames: ['PRIYA'],
  birthDate: '1984-03-17',
  expiryDate: '2030-02-15',
  documentNumber: '533401372',
  issuingState: 'GBR',
};

const LIVE_FACE: FaceEvidence = {
  documentFaces: 2,
  frames: [
    { faces: 1, distance: 0.31 },
    { faces: 1, distance: 0.28 },
    { faces: 1, distance: 0.35 },
  ],
  movement: 0.08,
  spread: 0.2,
};

/** Everything right, read by a machine, digits confirmed: the one way to an automatic pass. */
const CLEAR: PhotoIdEvidence = {
  today: '2026-01-10',
  document: {
    identity: { kind: 'passport', issuingState: 'GBR', mrz: { format: 'TD3', documentCode: 'P' } },
    details: PASSPORT,
    source: 'machine-read',
    integrity: { valid: true },
  },
  record: PRIYA,
  face: LIVE_FACE,
  spokenDigits: 'confirmed',
};

type Changes = {
  document?: Partial<PhotoIdEvidence['document']>;
  details?: Partial<DocumentDetails>;
  face?: Partial<FaceEvidence>;
  record?: Partial<DemographicRecord>;
} & Partial<Pick<PhotoIdEvidence, 'today' | 'spokenDigits'>>;

function evidence(changes: Changes = {}): PhotoIdEvidence {
  const { document, details, face, record, ...rest } = changes;
  return {
    ...CLEAR,
    ...rest,
    document: { ...CLEAR.document, ...document, details: { ...CLEAR.document.details, ...details } },
    face: { ...CLEAR.face, ...face },
    record: { ...CLEAR.record, ...record },
  };
}

const frames = (...distances: (number | undefined)[]) =>
  distances.map((distance) => (distance === undefined ? { faces: 0 } : { faces: 1, distance }));

describe('accepted documents', () => {
  const identity = (changes: Partial<DocumentIdentity>): DocumentIdentity => ({
    kind: 'passport',
    issuingState: 'GBR',
    mrz: { format: 'TD3', documentCode: 'P' },
    ...changes,
  });

  it('accepts passports from any country except Syria, and never ICAO specimens', () => {
    expect(documentRejection(identity({}))).toBeUndefined();
    expect(documentRejection(identity({ issuingState: 'IND' }))).toBeUndefined();
    expect(documentRejection(identity({ mrz: { format: 'TD3', documentCode: 'PM' } }))).toBeUndefined();
    expect(documentRejection(identity({ issuingState: 'SYR' }))).toBe('issuer-not-accepted');
    expect(documentRejection(identity({ issuingState: 'UTO' }))).toBe('issuer-not-accepted');
  });

  it('accepts European identity cards except Greek ones', () => {
    const card = (issuingState: string, documentCode = 'ID') =>
      identity({ kind: 'national-identity-card', issuingState, mrz: { format: 'TD1', documentCode } });
    expect(documentRejection(card('D'))).toBeUndefined();
    expect(documentRejection(card('FRA', 'I'))).toBeUndefined();
    expect(documentRejection(card('NOR', 'I'))).toBeUndefined();
    expect(documentRejection(card('GRC'))).toBe('issuer-not-accepted');
    expect(documentRejection(card('GBR'))).toBe('issuer-not-accepted');
    expect(documentRejection(card('USA'))).toBe('issuer-not-accepted');
    // A residence permit (IR) is not an identity card, whoever issued it.
    expect(documentRejection(card('D', 'IR'))).toBe('not-this-kind');
  });

  it('accepts UK residence permits (IR), and only from the UK', () => {
    const permit = (issuingState: string, documentCode = 'IR') =>
      identity({ kind: 'residence-permit', issuingState, mrz: { format: 'TD1', documentCode } });
    expect(documentRejection(permit('GBR'))).toBeUndefined();
    expect(documentRejection(permit('GBR', 'ID'))).toBe('not-this-kind');
    expect(documentRejection(permit('FRA'))).toBe('issuer-not-accepted');
  });

  it('refuses a zone of another kind of document, or none where one is needed', () => {
    expect(documentRejection(identity({ mrz: { format: 'TD1', documentCode: 'ID' } }))).toBe('not-this-kind');
    expect(documentRejection(identity({ mrz: { format: 'TD3', documentCode: 'V' } }))).toBe('not-this-kind');
    expect(documentRejection({ kind: 'passport', issuingState: 'GBR' })).toBe('zone-missing');
  });

  it('accepts UK and European driving licences, which have no zone', () => {
    expect(documentRejection({ kind: 'driving-licence', issuingState: 'GBR' })).toBeUndefined();
    expect(documentRejection({ kind: 'driving-licence', issuingState: 'IRL' })).toBeUndefined();
    expect(documentRejection({ kind: 'driving-licence', issuingState: 'USA' })).toBe('issuer-not-accepted');
    expect(ACCEPTED_DOCUMENTS['driving-licence'].mrz).toBeUndefined();
  });

  it('lists what is not accepted for each kind, for the choice page', () => {
    for (const document of Object.values(ACCEPTED_DOCUMENTS)) {
      expect(document.name).not.toBe('');
      expect(document.notAccepted.length).toBeGreaterThan(0);
    }
  });
});

describe('addMonths', () => {
  it.each([
    ['2025-04-15', 12, '2026-04-15'],
    ['2025-12-15', 1, '2026-01-15'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2025-01-31', 1, '2025-02-28'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2023-02-28', 12, '2024-02-28'],
    ['2025-03-31', -1, '2025-02-28'],
  ])('%s plus %i months is %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });

  it('refuses a date that is not one', () => {
    expect(() => addMonths('2025-02-30', 1)).toThrow(RangeError);
  });
});

describe('expiryStatus: expired less than 12 months ago is accepted', () => {
  it.each([
    ['2025-04-14', 'in-date'],
    ['2025-04-15', 'in-date'],
    ['2025-04-16', 'recently-expired'],
    ['2026-04-14', 'recently-expired'],
    ['2026-04-15', 'expired'],
    ['2030-01-01', 'expired'],
  ])('a document expiring 2025-04-15, on %s, is %s', (today, status) => {
    expect(expiryStatus('2025-04-15', today)).toBe(status);
  });

  it('counts 12 months from 29 February to 28 February', () => {
    expect(expiryStatus('2024-02-29', '2025-02-27')).toBe('recently-expired');
    expect(expiryStatus('2024-02-29', '2025-02-28')).toBe('expired');
  });

  it('counts 12 months across the end of a year and from the end of a long month', () => {
    expect(expiryStatus('2024-12-31', '2025-12-30')).toBe('recently-expired');
    expect(expiryStatus('2024-12-31', '2025-12-31')).toBe('expired');
  });

  it('says when the document has no expiry date, and refuses a bad today', () => {
    expect(expiryStatus(undefined, '2026-01-10')).toBe('no-expiry-date');
    expect(() => expiryStatus('2025-04-15', '10/01/2026')).toThrow(RangeError);
  });
});

describe('compareWithRecord', () => {
  const compare = (details: Partial<DocumentDetails>, record: Partial<DemographicRecord> = {}) =>
    compareWithRecord({ ...PASSPORT, ...details }, { ...PRIYA, ...record });

  it('matches the same details however they are written', () => {
    expect(compare({})).toEqual({ familyName: 'same', givenNames: 'same', birthDate: 'same' });
    expect(
      compare({ familyName: 'ZOE', givenNames: ['SIAN'] }, { familyName: 'Zoë', givenNames: ['Siân'] }),
    ).toEqual({
      familyName: 'same',
      givenNames: 'same',
      birthDate: 'same',
    });
    expect(compare({ familyName: 'SMITH JONES' }, { familyName: 'Smith-Jones' }).familyName).toBe('same');
    expect(compare({ familyName: 'OBRIEN' }, { familyName: "O'Brien" }).familyName).toBe('same');
  });

  it("matches ICAO's two-letter spellings (MÜLLER is MUELLER in the zone) as well as plain ones", () => {
    expect(compare({ familyName: 'MUELLER' }, { familyName: 'Müller' }).familyName).toBe('same');
    expect(compare({ familyName: 'MULLER' }, { familyName: 'Müller' }).familyName).toBe('same');
    expect(compare({ familyName: 'Müller' }, { familyName: 'Mueller' }).familyName).toBe('same');
    expect(compare({ familyName: 'HAALAND' }, { familyName: 'Håland' }).familyName).toBe('same');
    expect(compare({ familyName: 'MILLER' }, { familyName: 'Müller' }).familyName).toBe('different');
  });

  it('takes given names as the same when all are, or the first ones are', () => {
    expect(compare({ givenNames: ['PRIYA', 'KAUR'] }).givenNames).toBe('same');
    expect(compare({ givenNames: ['PRIYA'] }, { givenNames: ['Priya', 'Kaur'] }).givenNames).toBe('same');
    expect(compare({ givenNames: ['ANNA', 'MARIA'] }, { givenNames: ['Anna-Maria'] }).givenNames).toBe(
      'same',
    );
    expect(compare({ givenNames: ['KAUR', 'PRIYA'] }).givenNames).toBe('different');
    expect(compare({ givenNames: ['PRIA'] }).givenNames).toBe('different');
    expect(compare({ givenNames: [] }).givenNames).toBe('different');
  });

  it('knows a truncated zone name from a different one', () => {
    const record = { familyName: 'Wolfeschlegelsteinhausenberger', givenNames: ['Hubertus'] };
    const truncated = { familyName: 'WOLFESCHLEGELSTEINHAUSENBERGER', givenNames: ['HUBERTU'] };
    expect(compare({ ...truncated, namesMayBeTruncated: true }, record).givenNames).toBe('truncated');
    expect(compare({ ...truncated, namesMayBeTruncated: false }, record).givenNames).toBe('different');
  });

  it('compares dates of birth exactly, flagging a century apart', () => {
    expect(compare({ birthDate: '1984-03-18' }).birthDate).toBe('different');
    expect(compare({ birthDate: '1984-17-03' }).birthDate).toBe('different');
    expect(compare({ birthDate: '2024-03-17' }, { birthDate: '1924-03-17' }).birthDate).toBe(
      'century-differs',
    );
    expect(compare({ birthDate: undefined }).birthDate).toBe('unknown');
    expect(compare({}, { birthDate: undefined }).birthDate).toBe('unknown');
    expect(compare({}, { familyName: undefined }).familyName).toBe('different');
  });
});

describe('decidePhotoIdCheck', () => {
  it('passes when everything is clear, a machine read the details and confirmed the digits', () => {
    const decision = decidePhotoIdCheck(CLEAR);
    expect(decision.outcome).toBe('pass');
    expect(decision.checks.map((check) => [check.check, check.result])).toEqual([
      ['document-accepted', 'pass'],
      ['document-integrity', 'pass'],
      ['expiry', 'pass'],
      ['details-source', 'pass'],
      ['family-name', 'pass'],
      ['given-names', 'pass'],
      ['birth-date', 'pass'],
      ['document-face', 'pass'],
      ['liveness', 'pass'],
      ['face-match', 'pass'],
      ['spoken-digits', 'pass'],
    ]);
    expect(decision.checks.find((check) => check.check === 'face-match')?.value).toBe(0.31);
  });

  it('by default refers details typed by the person and digits nobody checked (this build has neither OCR nor speech)', () => {
    const decision = decidePhotoIdCheck(
      evidence({ document: { source: 'typed-by-person' }, spokenDigits: 'not-checked' }),
    );
    expect(decision).toMatchObject({
      outcome: 'refer',
      reasons: ['details-typed-by-person', 'spoken-digits-not-checked'],
    });
    const permissive: PhotoIdPolicy = {
      ...PHOTO_ID_POLICY,
      autoPass: { withDetailsTypedByPerson: true, withSpokenDigitsUnchecked: true },
    };
    expect(
      decidePhotoIdCheck(
        evidence({ document: { source: 'typed-by-person' }, spokenDigits: 'not-checked' }),
        permissive,
      ).outcome,
    ).toBe('pass');
  });

  it.each<[string, Changes, string, string[]]>([
    [
      'a Syrian passport',
      {
        document: {
          identity: { kind: 'passport', issuingState: 'SYR', mrz: { format: 'TD3', documentCode: 'P' } },
        },
      },
      'document-not-accepted',
      ['use-another-document', 'use-gp-online-details'],
    ],
    [
      'wrong check digits',
      { document: { integrity: { valid: false, problems: ['check digit: birthDate'] } } },
      'document-details-invalid',
      ['check-document-details', 'retake-document-photo'],
    ],
    [
      'expired 12 months ago',
      { details: { expiryDate: '2025-01-10' } },
      'document-expired',
      ['use-another-document', 'use-gp-online-details'],
    ],
    [
      'a different date of birth',
      { details: { birthDate: '1984-03-18' } },
      'birth-date-differs',
      ['contact-gp-surgery', 'use-another-document'],
    ],
    [
      'no face on the document',
      {
        face: { documentFaces: 0, frames: frames(undefined, undefined, undefined).map(() => ({ faces: 1 })) },
      },
      'no-face-on-document',
      ['retake-document-photo', 'use-another-document'],
    ],
    [
      'a different face',
      { face: { frames: frames(0.7, 0.65, 0.8) } },
      'face-does-not-match',
      ['retake-video', 'prove-at-gp-surgery'],
    ],
    [
      'no face in the video',
      { face: { frames: frames(undefined, undefined, undefined), movement: 0, spread: undefined } },
      'no-face-in-video',
      ['retake-video', 'prove-at-gp-surgery'],
    ],
  ])('fails %s, saying what to try next', (_, changes, reason, nextSteps) => {
    expect(decidePhotoIdCheck(evidence(changes))).toMatchObject({
      outcome: 'fail',
      reasons: [reason],
      nextSteps,
    });
  });

  it('accepts a document that expired less than 12 months ago', () => {
    const decision = decidePhotoIdCheck(evidence({ details: { expiryDate: '2025-01-11' } }));
    expect(decision.outcome).toBe('pass');
    expect(decision.checks.find((check) => check.check === 'expiry')).toEqual({
      check: 'expiry',
      result: 'pass',
      value: 'recently-expired',
    });
  });

  it('lets a clear fail win over anything uncertain, listing every fail and its next steps once', () => {
    const decision = decidePhotoIdCheck(
      evidence({
        details: { expiryDate: '2020-01-01', familyName: 'SMITH' },
        face: { frames: frames(0.7, 0.7, 0.7) },
        spokenDigits: 'not-checked',
      }),
    );
    expect(decision).toMatchObject({
      outcome: 'fail',
      reasons: ['document-expired', 'face-does-not-match'],
      nextSteps: ['use-another-document', 'use-gp-online-details', 'retake-video', 'prove-at-gp-surgery'],
    });
  });

  it.each<[string, Changes, string[]]>([
    ['a changed surname', { record: { familyName: 'Patel' } }, ['family-name-differs']],
    ['different given names', { record: { givenNames: ['Kaur', 'Priya'] } }, ['given-names-differ']],
    [
      'a truncated name',
      { details: { givenNames: ['PRI'], namesMayBeTruncated: true } },
      ['name-may-be-truncated'],
    ],
    [
      'a date of birth a century apart',
      { details: { birthDate: '2084-03-17' } },
      ['birth-date-century-differs'],
    ],
    ['an unknown date of birth', { details: { birthDate: undefined } }, ['birth-date-unknown']],
    ['no expiry date', { details: { expiryDate: undefined } }, ['no-expiry-date']],
    ['no check of the document', { document: { integrity: undefined } }, ['no-document-check']],
    ['an uncertain face match', { face: { frames: frames(0.5, 0.45, 0.55) } }, ['face-match-uncertain']],
    ['too few frames', { face: { frames: frames(0.3, 0.3) } }, ['too-few-frames']],
    [
      'a frame without a face',
      { face: { frames: frames(0.3, undefined, 0.3) } },
      ['face-missing-in-some-frames'],
    ],
    [
      'two faces in a frame',
      { face: { frames: [{ faces: 2, distance: 0.3 }, ...frames(0.3, 0.3)] } },
      ['more-than-one-face-in-video'],
    ],
    ['a face that does not move', { face: { movement: 0.01 } }, ['no-movement']],
    ['frames of different people', { face: { spread: 0.7 } }, ['video-may-show-different-people']],
  ])('refers %s to an ID checker', (_, changes, reasons) => {
    expect(decidePhotoIdCheck(evidence(changes))).toMatchObject({ outcome: 'refer', reasons });
  });

  it('uses the median distance over the frames, at the thresholds exactly', () => {
    const outcome = (...distances: number[]) =>
      decidePhotoIdCheck(evidence({ face: { frames: frames(...distances) } }));
    const { strongMatch, noMatch } = FACE_THRESHOLDS;
    expect(outcome(0.1, strongMatch - 0.0001, 0.9).outcome).toBe('pass');
    expect(outcome(0.1, strongMatch, 0.9)).toMatchObject({
      outcome: 'refer',
      reasons: ['face-match-uncertain'],
    });
    expect(outcome(0.1, noMatch - 0.0001, 0.9)).toMatchObject({
      outcome: 'refer',
      reasons: ['face-match-uncertain'],
    });
    expect(outcome(0.1, noMatch, 0.9)).toMatchObject({ outcome: 'fail', reasons: ['face-does-not-match'] });
    // An even number of frames: the mean of the middle two.
    expect(
      outcome(0.3, 0.38, 0.44, 0.9).checks.find((check) => check.check === 'face-match')?.value,
    ).toBeCloseTo(0.41);
  });

  it('uses the liveness thresholds exactly', () => {
    const { minMovement } = LIVENESS_THRESHOLDS;
    expect(decidePhotoIdCheck(evidence({ face: { movement: minMovement } })).outcome).toBe('pass');
    expect(decidePhotoIdCheck(evidence({ face: { movement: minMovement - 0.0001 } })).outcome).toBe('refer');
    expect(decidePhotoIdCheck(evidence({ face: { spread: FACE_THRESHOLDS.sameVideoPerson } })).outcome).toBe(
      'refer',
    );
  });
});

describe('next steps', () => {
  it('has words for every next step, and next steps for every fail', () => {
    for (const steps of Object.values(NEXT_STEPS_AFTER)) {
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) expect(NEXT_STEP_TEXT[step]).toMatch(/\.$/);
    }
  });
});
