import { describe, expect, it } from 'vitest';
import { decide } from './gpg45.js';
import {
  PHOTO_DOCUMENTS,
  scoreDemographicMatch,
  scoreGpOnlineServices,
  scoreInPerson,
  scorePhotoId,
  type IdCheckerReview,
  type InPersonPhotoIdFacts,
  type PhotoIdFacts,
  type RouteScore,
} from './gpg45-routes.js';

const scores = (s: RouteScore) => ({
  evidence: s.record.evidence.map((e) => [e.kind, e.strength, e.validity]),
  activity: s.record.activity,
  fraud: s.record.fraud,
  verification: s.record.verification,
  pdsMatched: s.record.pdsMatched,
});

describe('(a) the demographic match (P5)', () => {
  it('a single living match is fraud 1 with no evidence: no GPG45 profile, and NHS login P5 by its own rule', () => {
    const s = scoreDemographicMatch({ pds: 'matched' });
    expect(scores(s)).toEqual({ evidence: [], activity: 0, fraud: 1, verification: 0, pdsMatched: true });
    const decision = decide(s.record);
    expect(decision).toMatchObject({ confidence: 'none', profilesMet: [], level: 'P5' });
    expect(decision.levelRule.why).toMatch(/no GPG45 profile is needed/);
    expect(s.reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^verification 0: nothing ties the person to the record/),
        'demographics: the details given matched exactly one living person in PDS',
      ]),
    );
    expect(s.needsReview).toBe(false);
  });

  it.each([
    ['no-match', 'no PDS record matched the details given'],
    ['ambiguous', 'more than one PDS record matched, and NHS login never chooses between people'],
    ['deceased', 'the only matching PDS record is of a person who has died'],
  ] as const)('%s gives P0 with fraud 0', (pds, reason) => {
    const s = scoreDemographicMatch({ pds });
    expect(scores(s)).toMatchObject({ fraud: 0, pdsMatched: false });
    expect(s.record.reasons.pds).toEqual([reason]);
    expect(decide(s.record).level).toBe('P0');
  });
});

describe('(b) photo ID and a video, online', () => {
  const passing: PhotoIdFacts = {
    pds: 'matched',
    document: {
      kind: 'passport',
      mrz: 'valid',
      expiry: 'in-date',
      detailsMatchPds: true,
      authenticity: 'genuine',
    },
    face: { comparison: 'match', liveness: 'live', distance: 0.32 },
  };
  const withDocument = (document: Partial<PhotoIdFacts['document']>): PhotoIdFacts => ({
    ...passing,
    document: { ...passing.document, ...document },
  });
  const withFace = (face: PhotoIdFacts['face']): PhotoIdFacts => ({ ...passing, face });
  const withReview = (review: IdCheckerReview, document = passing.document): PhotoIdFacts => ({
    ...passing,
    document,
    review,
  });

  it('a photographed passport checked genuine with a live face match is (3,2)|0,1,3: GPG45 low, NHS P9', () => {
    const s = scorePhotoId(passing);
    expect(scores(s)).toEqual({
      evidence: [['passport', 3, 2]],
      activity: 0,
      fraud: 1,
      verification: 3,
      pdsMatched: true,
    });
    expect(s.needsReview).toBe(false);
    const decision = decide(s.record);
    expect(decision).toMatchObject({ confidence: 'low', level: 'P9' });
    expect(decision.profile?.profile.name).toBe('L1A');
    expect(decision.closestMiss?.profile.name).toBe('M1A');
    expect(s.reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^passport \(3,2\): strength 3: passport, no chip read/),
        expect.stringMatching(/^passport \(3,2\): validity 2: the automated document check/),
        'verification 3: automated face comparison: the document photo and a live video are the same person (distance 0.32), so 3',
      ]),
    );
  });

  it('a passport whose chip verified is (4,3): GPG45 high (H1A)', () => {
    const s = scorePhotoId(withDocument({ chipVerified: true }));
    expect(scores(s).evidence).toEqual([['passport', 4, 3]]);
    expect(decide(s.record)).toMatchObject({ confidence: 'high', level: 'P9' });
    expect(decide(s.record).profile?.profile.name).toBe('H1A');
  });

  it('a driving licence has no machine readable zone to check; one expired months ago is accepted', () => {
    const s = scorePhotoId(
      withDocument({ kind: 'driving-licence', mrz: 'none', expiry: 'recently-expired' }),
    );
    expect(scores(s).evidence).toEqual([['driving-licence', 3, 2]]);
    expect(s.record.evidence[0]?.reasons[1]).toMatch(
      /no machine readable zone to check, expired less than 12 months ago, which is accepted/,
    );
    expect(decide(s.record).level).toBe('P9');
  });

  it('a document nobody has examined as genuine is validity 1, meets no profile and goes to an ID checker', () => {
    const s = scorePhotoId(withDocument({ authenticity: 'not-checked' }));
    expect(scores(s).evidence).toEqual([['passport', 3, 1]]);
    expect(s.needsReview).toBe(true);
    expect(s.reviewReasons).toEqual(['the document has not been examined as genuine']);
    expect(decide(s.record)).toMatchObject({ confidence: 'none', level: 'P5' });

    const reviewed = scorePhotoId(
      withReview(
        { document: 'genuine', face: 'same-person', reason: 'security features present' },
        { ...passing.document, authenticity: 'not-checked' },
      ),
    );
    expect(scores(reviewed)).toMatchObject({ evidence: [['passport', 3, 2]], verification: 3 });
    expect(reviewed.needsReview).toBe(false);
    expect(decide(reviewed.record).level).toBe('P9');
    expect(reviewed.record.reasons.verification[0]).toMatch(/^a trained ID checker compared the person/);
  });

  it('a document with no expiry date goes to an ID checker, even with a chip', () => {
    const s = scorePhotoId(
      withDocument({ kind: 'national-identity-card', expiry: 'no-expiry-date', chipVerified: true }),
    );
    expect(scores(s).evidence).toEqual([['national-identity-card', 4, 1]]);
    expect(s.reviewReasons).toEqual(['the document shows no expiry date']);
  });

  it.each([
    [
      'a comparison too close to call',
      { comparison: 'refer', liveness: 'live' },
      'the face comparison is too close to call',
    ],
    [
      'a match without liveness shown',
      { comparison: 'match', liveness: 'refer' },
      'the video has not been shown to be of a live person',
    ],
  ] as const)('%s goes to an ID checker, verification 0 until then', (_, face, reason) => {
    const s = scorePhotoId(withFace(face));
    expect(s.record.verification).toBe(0);
    expect(s.needsReview).toBe(true);
    expect(s.reviewReasons).toEqual([reason]);
    expect(decide(s.record).level).toBe('P5');
  });

  it.each([
    [
      'faces that differ',
      { comparison: 'no-match', liveness: 'live', distance: 0.75 },
      /not the face in the photo \(distance 0.75\)/,
    ],
    ['a video that is not live', { comparison: 'match', liveness: 'not-live' }, /not of a live person/],
  ] as const)('%s fail without review', (_, face, reason) => {
    const s = scorePhotoId(withFace(face));
    expect(s.record.verification).toBe(0);
    expect(s.record.reasons.verification[0]).toMatch(reason);
    expect(s.needsReview).toBe(false);
    expect(decide(s.record).level).toBe('P5');
  });

  it('an ID checker finding a different person sets verification 0', () => {
    const s = scorePhotoId(
      withReview({ document: 'genuine', face: 'different-person', reason: 'different ears' }),
    );
    expect(s.record.verification).toBe(0);
    expect(s.needsReview).toBe(false);
    expect(decide(s.record).level).toBe('P5');
  });

  it.each([
    ['wrong check digits', withDocument({ mrz: 'invalid' }), /check digits are wrong/],
    [
      'no readable zone on a passport',
      withDocument({ mrz: 'none' }),
      /a passport has a machine readable zone/,
    ],
    ['expired a year or more ago', withDocument({ expiry: 'expired' }), /expired 12 months or more ago/],
    [
      'details that differ from PDS',
      withDocument({ detailsMatchPds: false }),
      /differ from the national record/,
    ],
    [
      'a document check failing',
      withDocument({ authenticity: 'not-genuine' }),
      /automated document check found it not genuine/,
    ],
    [
      'an ID checker rejecting the document',
      withReview({ document: 'not-genuine', face: 'same-person', reason: 'photo substituted' }),
      /an ID checker found it not genuine: photo substituted/,
    ],
  ])('%s is validity 0, no profile and no review', (_, facts, reason) => {
    const s = scorePhotoId(facts);
    expect(s.record.evidence[0]?.validity).toBe(0);
    expect(s.record.evidence[0]?.reasons[1]).toMatch(reason);
    expect(s.needsReview).toBe(false);
    expect(decide(s.record).confidence).toBe('none');
  });

  it('a person without a PDS match is P0 and is not reviewed', () => {
    const s = scorePhotoId({ ...withDocument({ authenticity: 'not-checked' }), pds: 'no-match' });
    expect(s.needsReview).toBe(false);
    expect(decide(s.record).level).toBe('P0');
  });

  it('keeps document strengths as data', () => {
    expect(
      Object.entries(PHOTO_DOCUMENTS).map(([kind, rule]) => [
        kind,
        rule.strength.chipVerified,
        rule.strength.otherwise,
      ]),
    ).toEqual([
      ['passport', 4, 3],
      ['driving-licence', 3, 3],
      ['residence-permit', 4, 3],
      ['national-identity-card', 4, 3],
      ['proof-of-age-card', 2, 2],
    ]);
  });
});

describe('(c) GP online services details', () => {
  it('details the GP system confirms are (2,2)|0,1,3: GPG45 low, NHS P9', () => {
    const s = scoreGpOnlineServices({ pds: 'matched', linkage: 'verified', sameNhsNumber: true });
    expect(scores(s)).toEqual({
      evidence: [['gp-online-services', 2, 2]],
      activity: 0,
      fraud: 1,
      verification: 3,
      pdsMatched: true,
    });
    expect(decide(s.record)).toMatchObject({ confidence: 'low', level: 'P9' });
    expect(s.reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/confirmed the details through IM1/),
        expect.stringMatching(/face to face/),
      ]),
    );
  });

  it.each([
    ['already-used', true, /already proved another account/],
    ['not-recognised', true, /did not recognise/],
    ['verified', false, /different NHS number/],
  ] as const)('%s (same NHS number: %s) proves nothing', (linkage, sameNhsNumber, reason) => {
    const s = scoreGpOnlineServices({ pds: 'matched', linkage, sameNhsNumber });
    expect(scores(s)).toMatchObject({ evidence: [['gp-online-services', 2, 0]], verification: 0 });
    expect(s.record.evidence[0]?.reasons[1]).toMatch(reason);
    expect(decide(s.record)).toMatchObject({ confidence: 'none', level: 'P5' });
  });
});

describe('(d) in person', () => {
  const photoId: InPersonPhotoIdFacts = {
    method: 'photo-id',
    pds: 'matched',
    odsCode: 'A12345',
    document: {
      kind: 'driving-licence',
      expiry: 'in-date',
      detailsMatchPds: true,
      examined: 'genuine',
    },
    faceMatches: true,
  };

  it('photo ID examined and compared face to face is (3,2)|0,1,3 with verification 3: P9', () => {
    const s = scoreInPerson(photoId);
    expect(scores(s)).toEqual({
      evidence: [['driving-licence', 3, 2]],
      activity: 0,
      fraud: 1,
      verification: 3,
      pdsMatched: true,
    });
    expect(s.record.reasons.verification[0]).toMatch(
      /staff at A12345 compared the person .* physical comparison/,
    );
    expect(decide(s.record)).toMatchObject({ confidence: 'low', level: 'P9' });
  });

  it('a passport whose chip verified at the desk is (4,3): GPG45 high', () => {
    const s = scoreInPerson({
      ...photoId,
      document: { ...photoId.document, kind: 'passport', chipVerified: true },
    });
    expect(scores(s).evidence).toEqual([['passport', 4, 3]]);
    expect(decide(s.record).confidence).toBe('high');
  });

  it.each([
    ['the face not matching', { ...photoId, faceMatches: false }, 'P5'],
    [
      'a document not genuine',
      { ...photoId, document: { ...photoId.document, examined: 'not-genuine' } },
      'P5',
    ],
    ['a document long expired', { ...photoId, document: { ...photoId.document, expiry: 'expired' } }, 'P5'],
    [
      'details differing from PDS',
      { ...photoId, document: { ...photoId.document, detailsMatchPds: false } },
      'P5',
    ],
    ['no PDS match', { ...photoId, pds: 'ambiguous' }, 'P0'],
  ] as const)('%s gives %s', (_, facts, level) => {
    expect(decide(scoreInPerson(facts).record).level).toBe(level);
  });

  it('a health professional who knows the person and checked their record vouches: (2,2)|0,1,3, P9', () => {
    const s = scoreInPerson({
      method: 'vouch',
      pds: 'matched',
      odsCode: 'B82001',
      knowsPerson: true,
      checkedHealthRecord: true,
    });
    expect(scores(s)).toMatchObject({ evidence: [['vouch', 2, 2]], verification: 3 });
    expect(s.record.evidence[0]?.reasons[0]).toMatch(/at B82001 who knows the person/);
    expect(decide(s.record).level).toBe('P9');
  });

  it('a vouch from someone who does not know the person counts for nothing', () => {
    const s = scoreInPerson({
      method: 'vouch',
      pds: 'matched',
      odsCode: 'B82001',
      knowsPerson: false,
      checkedHealthRecord: true,
    });
    expect(scores(s)).toMatchObject({ evidence: [['vouch', 0, 0]], verification: 0 });
    expect(decide(s.record).level).toBe('P5');
  });
});
