import { describe, expect, it } from 'vitest';
import {
  assignEvidence,
  checkProfile,
  decide,
  meetsProfile,
  NHS_LEVEL_FOR_CONFIDENCE,
  parseProfile,
  profileNamed,
  PROFILES,
  type Evidence,
  type EvidenceMinimum,
  type EvidenceRecord,
  type Profile,
  type Score,
} from './gpg45.js';

const piece = (strength: number, validity: number, kind: Evidence['kind'] = 'passport'): Evidence => ({
  kind,
  strength: strength as Score,
  validity: validity as Score,
  reasons: [],
});

const record = (
  evidence: Evidence[],
  activity: number,
  fraud: number,
  verification: number,
  pdsMatched = true,
): EvidenceRecord => ({
  evidence,
  activity: activity as Score,
  fraud: fraud as Score,
  verification: verification as Score,
  pdsMatched,
  reasons: { activity: [], fraud: [], verification: [], pds: [] },
});

/** A record that meets the profile with nothing to spare. */
const atMinimums = (profile: Profile): EvidenceRecord =>
  record(
    profile.evidence.map((m) => piece(m.strength, m.validity)),
    profile.activity,
    profile.fraud,
    profile.verification,
  );

const parse = (text: string): Profile => {
  const parsed = parseProfile(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('the profile table', () => {
  // Written out by hand from domain.md, independently of the parser.
  const EXPECTED: [string, [number, number][], number, number, number][] = [
    ['L1A', [[2, 2]], 0, 1, 1],
    ['L1B', [[3, 2]], 0, 0, 1],
    ['L1C', [[1, 1]], 3, 2, 2],
    [
      'L2A',
      [
        [1, 1],
        [1, 1],
      ],
      2,
      1,
      2,
    ],
    [
      'L2B',
      [
        [1, 1],
        [1, 1],
      ],
      2,
      2,
      1,
    ],
    [
      'L3A',
      [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      2,
      1,
      1,
    ],
    ['M1A', [[4, 2]], 0, 1, 2],
    ['M1B', [[3, 2]], 1, 2, 2],
    ['M1C', [[3, 3]], 0, 0, 3],
    ['M1D', [[2, 2]], 2, 1, 3],
    [
      'M2A',
      [
        [2, 2],
        [2, 2],
      ],
      3,
      2,
      2,
    ],
    [
      'M2B',
      [
        [3, 2],
        [2, 2],
      ],
      1,
      1,
      2,
    ],
    [
      'M2C',
      [
        [3, 2],
        [2, 2],
      ],
      0,
      1,
      3,
    ],
    [
      'M3A',
      [
        [2, 2],
        [2, 2],
        [2, 2],
      ],
      2,
      2,
      2,
    ],
    ['H1A', [[4, 3]], 0, 1, 3],
    ['H1B', [[3, 3]], 2, 1, 3],
    ['H1C', [[4, 3]], 0, 0, 4],
    [
      'H2A',
      [
        [2, 2],
        [2, 2],
      ],
      3,
      2,
      3,
    ],
    [
      'H2B',
      [
        [4, 2],
        [3, 2],
      ],
      0,
      2,
      3,
    ],
    [
      'H2C',
      [
        [3, 3],
        [2, 2],
      ],
      1,
      1,
      3,
    ],
    [
      'H2D',
      [
        [3, 3],
        [2, 2],
      ],
      0,
      1,
      3,
    ],
    [
      'H2E',
      [
        [4, 3],
        [3, 3],
      ],
      0,
      0,
      3,
    ],
    [
      'H3A',
      [
        [2, 2],
        [2, 2],
        [2, 2],
      ],
      2,
      2,
      3,
    ],
  ];

  it('holds all 23 profiles of low, medium and high confidence with the values in domain.md', () => {
    expect(PROFILES).toHaveLength(23);
    expect(
      PROFILES.map((p) => [
        p.name,
        p.evidence.map((e) => [e.strength, e.validity]),
        p.activity,
        p.fraud,
        p.verification,
      ]),
    ).toEqual(EXPECTED);
    const byConfidence = (c: string) => PROFILES.filter((p) => p.confidence === c).length;
    expect([byConfidence('low'), byConfidence('medium'), byConfidence('high')]).toEqual([6, 8, 9]);
    expect(PROFILES.every((p) => p.confidence === { L: 'low', M: 'medium', H: 'high' }[p.name[0]!])).toBe(
      true,
    );
  });

  it('finds a profile by name', () => {
    expect(profileNamed('M2B')?.text).toBe('M2B (3,2)(2,2)|1,1,2');
    expect(profileNamed('V1A')).toBeUndefined();
  });
});

describe('parseProfile', () => {
  it('reads the notation of domain.md, including 3x and the multiplication sign', () => {
    expect(parse('M3A 3x(2,2)|2,2,2').evidence).toEqual([
      { strength: 2, validity: 2 },
      { strength: 2, validity: 2 },
      { strength: 2, validity: 2 },
    ]);
    expect(parse('H3A 3×(2,2) | 2, 2, 3')).toMatchObject({
      name: 'H3A',
      confidence: 'high',
      verification: 3,
    });
    expect(parse('L2A (1,1) (1,1)|2,1,2').evidence).toHaveLength(2);
  });

  it.each([
    ['no bar', 'M1A (4,2) 0,1,2'],
    ['an unknown confidence', 'V1A (4,3)|0,3,3'],
    ['a score above 4', 'M1A (5,2)|0,1,2'],
    ['a count that disagrees with the name', 'M2A (2,2)|3,2,2'],
    ['unreadable evidence', 'M1A (4;2)|0,1,2'],
    ['no evidence', 'M1A |0,1,2'],
  ])('refuses %s', (_, text) => {
    expect(parseProfile(text).ok).toBe(false);
  });
});

describe.each(PROFILES.map((p) => [p.name, p] as const))('profile %s', (_, profile) => {
  it('is met by a record built exactly at its minimums', () => {
    const r = atMinimums(profile);
    expect(meetsProfile(r, profile)).toBe(true);
    expect(checkProfile(r, profile)).toMatchObject({ met: true, shortfalls: [], distance: 0 });
    const decision = decide(r);
    expect(decision.profilesMet).toContain(profile.name);
    expect(['low', 'medium', 'high'].indexOf(decision.confidence)).toBeGreaterThanOrEqual(
      ['low', 'medium', 'high'].indexOf(profile.confidence),
    );
  });

  // Every single minimum lowered by one (those already at 0 cannot be).
  const lowered: [string, () => EvidenceRecord, string][] = [];
  profile.evidence.forEach((m, i) => {
    for (const field of ['strength', 'validity'] as const) {
      if (m[field] === 0) continue;
      lowered.push([
        `evidence ${i + 1} ${field}`,
        () => {
          const r = atMinimums(profile);
          const evidence = r.evidence.map((e, j) =>
            j === i ? { ...e, [field]: (e[field] - 1) as Score } : e,
          );
          return { ...r, evidence };
        },
        'evidence',
      ]);
    }
  });
  for (const part of ['activity', 'fraud', 'verification'] as const) {
    if (profile[part] === 0) continue;
    lowered.push([part, () => ({ ...atMinimums(profile), [part]: (profile[part] - 1) as Score }), part]);
  }

  it.each(lowered)('is just missed when %s is one lower', (_, build, part) => {
    const r = build();
    expect(meetsProfile(r, profile)).toBe(false);
    const check = checkProfile(r, profile);
    expect(check.met).toBe(false);
    expect(check.distance).toBe(1);
    expect(check.shortfalls).toEqual([expect.objectContaining({ part, points: 1 })]);
    expect(decide(r).profilesMet).not.toContain(profile.name);
  });

  it('does not depend on the order of the evidence, and extra evidence is harmless', () => {
    const r = atMinimums(profile);
    const extras = [piece(0, 0, 'vouch'), piece(1, 4, 'proof-of-age-card'), piece(4, 4, 'residence-permit')];
    for (const extra of extras) {
      for (let at = 0; at <= r.evidence.length; at++) {
        const evidence = [...r.evidence.slice(0, at), extra, ...r.evidence.slice(at)];
        for (const order of permutations(evidence)) {
          expect(meetsProfile({ ...r, evidence: order }, profile)).toBe(true);
        }
      }
    }
  });
});

describe('assignEvidence', () => {
  // Requirements (4,2) and (3,3) with evidence (4,3) and (4,2): taking the
  // first piece that fits each requirement in turn gives (4,3) to (4,2) and
  // leaves (4,2), which cannot be (3,3). The assignment swaps them.
  const trap = parse('H2Z (4,2)(3,3)|0,0,0');
  const evidence = [piece(4, 3), piece(4, 2)];

  it('finds the assignment a greedy first fit misses, in any order', () => {
    for (const order of permutations(evidence)) {
      const assignment = assignEvidence(order, trap.evidence);
      expect(assignment).toBeDefined();
      const used = assignment!.map((i) => order[i]!);
      expect(used.map((e) => [e.strength, e.validity])).toEqual([
        [4, 2],
        [4, 3],
      ]);
    }
    expect(meetsProfile(record(evidence, 0, 0, 0), trap)).toBe(true);
  });

  it('uses each piece of evidence once', () => {
    const one: EvidenceMinimum[] = [{ strength: 4, validity: 4 }];
    expect(assignEvidence(one, profileNamed('M2A')!.evidence)).toBeUndefined();
    expect(meetsProfile(record([piece(4, 4)], 4, 4, 4), profileNamed('M2A')!)).toBe(false);
    expect(meetsProfile(record([piece(4, 4), piece(4, 4)], 4, 4, 4), profileNamed('M2A')!)).toBe(true);
  });

  it('needs nothing for no requirements', () => {
    expect(assignEvidence([], [])).toEqual([]);
  });
});

describe('decide', () => {
  it('picks the highest confidence met and names the first profile at it in table order', () => {
    // (4,3)|2,2,4 meets every one-piece profile but L1C, which wants activity 3.
    const decision = decide(record([piece(4, 3)], 2, 2, 4));
    expect(decision.confidence).toBe('high');
    expect(decision.profile?.profile.name).toBe('H1A');
    expect(decision.profile?.evidence).toEqual([piece(4, 3)]);
    expect(decision.profilesMet).toEqual(['L1A', 'L1B', 'M1A', 'M1B', 'M1C', 'M1D', 'H1A', 'H1B', 'H1C']);
    expect(decision.closestMiss).toBeUndefined();
    expect(decision.level).toBe('P9');
  });

  it('names medium when high is missed, with the nearest high profile and what fell short', () => {
    // Strength 4 but validity 2 (no chip read), compared by face, PDS matched.
    const decision = decide(record([piece(4, 2)], 0, 1, 3));
    expect(decision.confidence).toBe('medium');
    expect(decision.profile?.profile.name).toBe('M1A');
    expect(decision.closestMiss?.profile.name).toBe('H1A');
    expect(decision.closestMiss?.shortfalls).toEqual([
      { part: 'evidence', points: 1, text: 'evidence (4,3): passport scored (4,2)' },
    ]);
    expect(decision.explanation).toContain(
      'Nearest high profile, H1A (4,3)|0,1,3, fell short on: evidence (4,3): passport scored (4,2).',
    );
  });

  it('explains a low result by the nearest medium profile', () => {
    const decision = decide(record([piece(3, 2, 'driving-licence')], 0, 1, 3));
    expect(decision.confidence).toBe('low');
    expect(decision.profile?.profile.name).toBe('L1A');
    expect(decision.profilesMet).toEqual(['L1A', 'L1B']);
    // M1A and M1C are both one point short; table order decides.
    expect(decision.closestMiss?.profile.name).toBe('M1A');
    expect(decision.closestMiss?.distance).toBe(1);
    expect(decision.level).toBe('P9');
    expect(decision.explanation[0]).toMatch(/^NHS login level P9: photo ID was compared with the person/);
    expect(decision.explanation[1]).toBe(
      'GPG45 confidence low: profile L1A (2,2)|0,1,1 met (driving-licence as (2,2)); also met: L1B.',
    );
  });

  it('reports no profile, and the nearest low one, for a record without evidence', () => {
    const decision = decide(record([], 0, 1, 0));
    expect(decision).toMatchObject({ confidence: 'none', profile: undefined, profilesMet: [], level: 'P5' });
    expect(decision.closestMiss?.profile.name).toBe('L1A');
    expect(decision.closestMiss?.shortfalls.map((s) => s.text)).toEqual([
      'evidence (2,2): no further piece of evidence',
      'verification 1: scored 0',
    ]);
    expect(decision.explanation).toContain('GPG45 confidence none: no profile met.');
  });

  it('describes a missing second piece and several short parts', () => {
    const check = checkProfile(record([piece(3, 3)], 0, 0, 2), profileNamed('H2C')!);
    expect(check.shortfalls.map((s) => s.text)).toEqual([
      'evidence (2,2): no further piece of evidence',
      'activity history 1: scored 0',
      'identity fraud 1: scored 0',
      'verification 3: scored 2',
    ]);
    expect(check.distance).toBe(4 + 1 + 1 + 1);
  });

  it('puts every score and reason in the explanation', () => {
    const r: EvidenceRecord = {
      ...record([{ ...piece(3, 2), reasons: ['strength 3: passport, no chip read'] }], 0, 1, 3),
      reasons: { activity: ['not checked'], fraud: ['PDS'], verification: ['face'], pds: ['one record'] },
    };
    expect(decide(r).explanation).toEqual(
      expect.arrayContaining([
        'Scores: evidence passport (3,2); activity 0, fraud 1, verification 3.',
        'passport: strength 3: passport, no chip read',
        'activity history: not checked',
        'identity fraud: PDS',
        'verification: face',
        'demographics: one record',
      ]),
    );
  });
});

describe('NHS_LEVEL_FOR_CONFIDENCE', () => {
  it('is one table: P9 for a photo compared on top of any GPG45 profile, P5 for a demographic match, else P0', () => {
    expect(
      NHS_LEVEL_FOR_CONFIDENCE.map((r) => [r.level, r.minConfidence, r.minVerification, r.pdsMatch]),
    ).toEqual([
      ['P9', 'low', 3, true],
      ['P5', 'none', 0, true],
      ['P0', 'none', 0, false],
    ]);
  });

  it.each([
    ['high, face compared, PDS matched', record([piece(4, 3)], 0, 1, 3), 'P9'],
    ['medium, face compared', record([piece(4, 2)], 0, 1, 3), 'P9'],
    ['low, face compared', record([piece(2, 2)], 0, 1, 3), 'P9'],
    ['medium without a photo comparison (M1A at verification 2)', record([piece(4, 2)], 0, 1, 2), 'P5'],
    ['low without a photo comparison', record([piece(2, 2)], 0, 1, 1), 'P5'],
    ['no profile, even with verification 3', record([piece(3, 1)], 0, 1, 3), 'P5'],
    ['a demographic match alone', record([], 0, 1, 0), 'P5'],
    ['high but no PDS match', record([piece(4, 3)], 0, 1, 3, false), 'P0'],
    ['nothing', record([], 0, 0, 0, false), 'P0'],
  ])('%s gives %s', (_, r, level) => {
    expect(decide(r).level).toBe(level);
    expect(decide(r).levelRule.level).toBe(level);
  });
});
