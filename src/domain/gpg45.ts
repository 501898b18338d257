// GPG45 ("How to prove and verify someone's identity", GDS, now DSIT/OfDIA)
// scores every proofing attempt in five parts, each 0-4: the strength and
// validity of each piece of evidence, activity history, identity fraud
// checks and verification (does the evidence belong to the person). Scores
// are never summed: a profile sets a minimum for each part, and meeting any
// profile of a confidence level gives that confidence.
//
// Everything here is data plus one matcher: the profiles are the table in
// domain.md, written in the same notation; the NHS login level given for a
// result is one more table. Route scorers (gpg45-routes.ts) turn what a
// journey found out into an evidence record; decide() turns the record into
// a decision that names the profile met, the level given and, for support
// staff and auditors, what the nearest better profile lacked.
import { err, ok, type Result } from './result.js';
import type { ProofingLevel } from './vectors-of-trust.js';

export type Score = 0 | 1 | 2 | 3 | 4;
export type Confidence = 'low' | 'medium' | 'high';
export type ConfidenceOrNone = Confidence | 'none';

/** Lowest first. */
export const CONFIDENCES: readonly Confidence[] = ['low', 'medium', 'high'];

/** What a piece of evidence is; the route scorers document how each is scored. */
export type EvidenceKind =
  | 'passport'
  | 'driving-licence'
  | 'residence-permit'
  | 'national-identity-card'
  | 'proof-of-age-card'
  | 'gp-online-services'
  | 'vouch';

export interface Evidence {
  readonly kind: EvidenceKind;
  readonly strength: Score;
  readonly validity: Score;
  /** Why it scored what it scored, in words a support member of staff can read. */
  readonly reasons: readonly string[];
}

/** Every proofing attempt, by any route, produces one of these; it is kept with the decision. */
export interface EvidenceRecord {
  readonly evidence: readonly Evidence[];
  readonly activity: Score;
  readonly fraud: Score;
  readonly verification: Score;
  /**
   * NHS login's own binding check, not a GPG45 score: the claimed identity
   * matched exactly one living person's national demographics (PDS) record,
   * whose NHS number the account will carry.
   */
  readonly pdsMatched: boolean;
  readonly reasons: {
    readonly activity: readonly string[];
    readonly fraud: readonly string[];
    readonly verification: readonly string[];
    readonly pds: readonly string[];
  };
}

// ---------------------------------------------------------------------------
// Profiles

export interface EvidenceMinimum {
  readonly strength: Score;
  readonly validity: Score;
}

export interface Profile {
  /** L1A, M2B, H3A... */
  readonly name: string;
  readonly confidence: Confidence;
  readonly evidence: readonly EvidenceMinimum[];
  readonly activity: Score;
  readonly fraud: Score;
  readonly verification: Score;
  /** The line it was parsed from. */
  readonly text: string;
}

const CONFIDENCE_BY_LETTER: Record<string, Confidence> = { L: 'low', M: 'medium', H: 'high' };
const PROFILE_LINE = /^([LMH])([1-9])([A-Z])\s+(.+?)\s*\|\s*([0-4]),\s*([0-4]),\s*([0-4])$/;
const EVIDENCE_PART = /^(?:(\d)x)?\((\d),(\d)\)/;

const isScore = (n: number): n is Score => Number.isInteger(n) && n >= 0 && n <= 4;

/**
 * Parses one profile in domain.md's notation: name, the evidence as
 * (strength,validity) pieces (`3x(2,2)` for three alike), then
 * `|activity,fraud,verification`. The digit in the name is the number of
 * pieces of evidence, and the parser holds the text to it.
 */
export function parseProfile(text: string): Result<Profile, string> {
  const line = PROFILE_LINE.exec(text.trim());
  if (!line) return err(`${JSON.stringify(text)} is not a profile like "M2B (3,2)(2,2)|1,1,2".`);
  const [, letter, count, variant, evidenceText, activity, fraud, verification] = line;
  const evidence: EvidenceMinimum[] = [];
  let rest = evidenceText!.replace(/\s+/g, '').replace(/×/g, 'x');
  while (rest.length > 0) {
    const part = EVIDENCE_PART.exec(rest);
    if (!part) return err(`${JSON.stringify(text)}: cannot read the evidence at ${JSON.stringify(rest)}.`);
    const times = part[1] === undefined ? 1 : Number(part[1]);
    const strength = Number(part[2]);
    const validity = Number(part[3]);
    if (!isScore(strength) || !isScore(validity) || times < 1) {
      return err(`${JSON.stringify(text)}: evidence scores run from 0 to 4.`);
    }
    for (let i = 0; i < times; i++) evidence.push({ strength, validity });
    rest = rest.slice(part[0].length);
  }
  if (evidence.length !== Number(count)) {
    return err(
      `${JSON.stringify(text)}: the name says ${count} pieces of evidence but ${evidence.length} are listed.`,
    );
  }
  return ok({
    name: `${letter}${count}${variant}`,
    confidence: CONFIDENCE_BY_LETTER[letter!]!,
    evidence,
    activity: Number(activity) as Score,
    fraud: Number(fraud) as Score,
    verification: Number(verification) as Score,
    text: text.trim(),
  });
}

/**
 * The profiles of GPG45 low, medium and high confidence as domain.md lists
 * them, which is how GOV.UK One Login encodes them (govuk-one-login/
 * ipv-core-back, Gpg45Profile.java). Very high (V1A-V3A) is left out: no
 * NHS login route reaches it. Table order is the order decide() names
 * profiles in.
 */
export const PROFILE_TABLE = `
L1A (2,2)|0,1,1
L1B (3,2)|0,0,1
L1C (1,1)|3,2,2
L2A (1,1)(1,1)|2,1,2
L2B (1,1)(1,1)|2,2,1
L3A 3x(1,1)|2,1,1
M1A (4,2)|0,1,2
M1B (3,2)|1,2,2
M1C (3,3)|0,0,3
M1D (2,2)|2,1,3
M2A (2,2)(2,2)|3,2,2
M2B (3,2)(2,2)|1,1,2
M2C (3,2)(2,2)|0,1,3
M3A 3x(2,2)|2,2,2
H1A (4,3)|0,1,3
H1B (3,3)|2,1,3
H1C (4,3)|0,0,4
H2A (2,2)(2,2)|3,2,3
H2B (4,2)(3,2)|0,2,3
H2C (3,3)(2,2)|1,1,3
H2D (3,3)(2,2)|0,1,3
H2E (4,3)(3,3)|0,0,3
H3A 3x(2,2)|2,2,3
`;

export const PROFILES: readonly Profile[] = PROFILE_TABLE.split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '')
  .map((line) => {
    const parsed = parseProfile(line);
    if (!parsed.ok) throw new Error(`PROFILE_TABLE is invalid: ${parsed.error}`);
    return parsed.value;
  });

export function profileNamed(name: string): Profile | undefined {
  return PROFILES.find((profile) => profile.name === name);
}

// ---------------------------------------------------------------------------
// Matching

const meets = (piece: EvidenceMinimum, minimum: EvidenceMinimum): boolean =>
  piece.strength >= minimum.strength && piece.validity >= minimum.validity;

/**
 * Assigns pieces of evidence one to one to a profile's required pieces, each
 * piece meeting both minimums of the one it is given to. A maximum bipartite
 * matching (augmenting paths), so neither the order of the evidence nor the
 * order of the requirements changes the answer. Returns, for each required
 * piece in order, the index of the evidence assigned to it, or undefined
 * when no complete assignment exists.
 */
export function assignEvidence(
  evidence: readonly EvidenceMinimum[],
  required: readonly EvidenceMinimum[],
): number[] | undefined {
  const ownerOf: (number | undefined)[] = evidence.map(() => undefined);
  const tryAssign = (req: number, seen: boolean[]): boolean => {
    for (let e = 0; e < evidence.length; e++) {
      if (seen[e] || !meets(evidence[e]!, required[req]!)) continue;
      seen[e] = true;
      const owner = ownerOf[e];
      if (owner === undefined || tryAssign(owner, seen)) {
        ownerOf[e] = req;
        return true;
      }
    }
    return false;
  };
  for (let req = 0; req < required.length; req++) {
    const seen = evidence.map(() => false);
    if (!tryAssign(req, seen)) return undefined;
  }
  const assignment: number[] = required.map(() => -1);
  ownerOf.forEach((req, e) => {
    if (req !== undefined) assignment[req] = e;
  });
  return assignment;
}

export function meetsProfile(record: EvidenceRecord, profile: Profile): boolean {
  return (
    record.activity >= profile.activity &&
    record.fraud >= profile.fraud &&
    record.verification >= profile.verification &&
    assignEvidence(record.evidence, profile.evidence) !== undefined
  );
}

export type ScorePart = 'evidence' | 'activity' | 'fraud' | 'verification';

const PART_NAMES = { activity: 'activity history', fraud: 'identity fraud', verification: 'verification' };

export interface Shortfall {
  readonly part: ScorePart;
  /** How many points short (for evidence, strength and validity together). */
  readonly points: number;
  readonly text: string;
}

export interface ProfileCheck {
  readonly profile: Profile;
  readonly met: boolean;
  /** Empty when met. */
  readonly shortfalls: readonly Shortfall[];
  /** Total points short: how near the record came. */
  readonly distance: number;
}

const pair = (m: EvidenceMinimum) => `(${m.strength},${m.validity})`;
const deficit = (piece: EvidenceMinimum | undefined, minimum: EvidenceMinimum): number =>
  piece === undefined
    ? minimum.strength + minimum.validity
    : Math.max(0, minimum.strength - piece.strength) + Math.max(0, minimum.validity - piece.validity);

/**
 * The assignment of evidence to required pieces that leaves the fewest
 * points short (a required piece may go without). Profiles need at most
 * three pieces, so searching every assignment is cheap and exact.
 */
function nearestAssignment(
  evidence: readonly EvidenceMinimum[],
  required: readonly EvidenceMinimum[],
): { cost: number; chosen: (number | undefined)[] } {
  let best = { cost: Infinity, chosen: [] as (number | undefined)[] };
  const walk = (req: number, used: Set<number>, chosen: (number | undefined)[], cost: number): void => {
    if (cost >= best.cost) return;
    if (req === required.length) {
      best = { cost, chosen: [...chosen] };
      return;
    }
    const minimum = required[req]!;
    for (let e = 0; e < evidence.length; e++) {
      if (used.has(e)) continue;
      used.add(e);
      walk(req + 1, used, [...chosen, e], cost + deficit(evidence[e], minimum));
      used.delete(e);
    }
    walk(req + 1, used, [...chosen, undefined], cost + deficit(undefined, minimum));
  };
  walk(0, new Set(), [], 0);
  return best;
}

/** Whether the record meets the profile and, if not, what fell short. */
export function checkProfile(record: EvidenceRecord, profile: Profile): ProfileCheck {
  const shortfalls: Shortfall[] = [];
  if (!meetsProfile(record, profile)) {
    const { chosen } = nearestAssignment(record.evidence, profile.evidence);
    profile.evidence.forEach((minimum, req) => {
      const index = chosen[req];
      const piece = index === undefined ? undefined : record.evidence[index];
      const points = deficit(piece, minimum);
      if (points === 0) return;
      shortfalls.push({
        part: 'evidence',
        points,
        text:
          piece === undefined
            ? `evidence ${pair(minimum)}: no further piece of evidence`
            : `evidence ${pair(minimum)}: ${piece.kind} scored ${pair(piece)}`,
      });
    });
    for (const part of ['activity', 'fraud', 'verification'] as const) {
      const points = profile[part] - record[part];
      if (points > 0) {
        shortfalls.push({
          part,
          points,
          text: `${PART_NAMES[part]} ${profile[part]}: scored ${record[part]}`,
        });
      }
    }
  }
  const distance = shortfalls.reduce((sum, s) => sum + s.points, 0);
  return { profile, met: shortfalls.length === 0, shortfalls, distance };
}

// ---------------------------------------------------------------------------
// NHS login levels

export interface NhsLevelRule {
  readonly level: ProofingLevel;
  /** The lowest GPG45 confidence that can give this level ('none': no profile is needed). */
  readonly minConfidence: ConfidenceOrNone;
  /** The lowest GPG45 verification score; 3 is a photo compared with the person. */
  readonly minVerification: Score;
  /** Whether the claimed identity must have matched exactly one living PDS record. */
  readonly pdsMatch: boolean;
  readonly why: string;
}

/**
 * The NHS login level a decision gives: the first row the record meets.
 *
 * What the sources say. NHS login's own documents map P0/P5/P9 only onto
 * the NHS standard DCB3051 (now DAPB3051) "verification Low / Medium /
 * High" (interface specification, table 19) and never onto GPG45 profiles;
 * no published source maps P9 to a GPG45 confidence. Those words are the
 * standard's own levels, not GPG45's. NHS England's NHS App guidance
 * ("Patient verification levels and proving identity") defines them:
 * medium (P5) is information "checked to correspond to a record on the NHS
 * Personal Demographics Service"; high (P9) needs "an online or offline
 * identity verification process, where physical comparison between photo
 * ID and the user has been made". NHS login's public pages call P9 "high
 * level verification"; NHS Wales calls P5 "medium level".
 *
 * What that means in GPG45 terms (see gpg45-routes.ts for the scoring).
 * - A demographic match alone meets no GPG45 profile, not even low: it has
 *   no piece of evidence and no verification (the person typed details that
 *   others may know). So P5 is NHS login's own "demographic match" rule,
 *   not a GPG45 confidence.
 * - NHS login's P9 routes check no activity history and no identity fraud
 *   beyond PDS. Scored like GOV.UK One Login scores the same checks, a
 *   photographed driving licence or passport with a face match is GPG45 low
 *   (L1A, L1B); medium or high needs a chip read (M1A, H1A) or a second
 *   document. Requiring GPG45 medium for P9 would refuse photo ID that NHS
 *   login accepts. So P9 is "a photo compared with the person"
 *   (verification 3, GPG45's score for a physical or biometric comparison)
 *   on top of any GPG45 profile, which makes sure the evidence compared was
 *   itself checked as genuine. The decision still records the GPG45
 *   confidence reached, so a stricter deployment can raise P9's
 *   minConfidence here, and auditors can see which P9s are GPG45 medium.
 */
export const NHS_LEVEL_FOR_CONFIDENCE: readonly NhsLevelRule[] = [
  {
    level: 'P9',
    minConfidence: 'low',
    minVerification: 3,
    pdsMatch: true,
    why: 'photo ID was compared with the person (verification 3) on top of a GPG45 profile, and the identity matched one living PDS record',
  },
  {
    level: 'P5',
    minConfidence: 'none',
    minVerification: 0,
    pdsMatch: true,
    why: 'the claimed identity matched exactly one living PDS record (NHS login demographic match; no GPG45 profile is needed)',
  },
  {
    level: 'P0',
    minConfidence: 'none',
    minVerification: 0,
    pdsMatch: false,
    why: 'no match to the national demographics record; email and phone were verified at registration',
  },
];

const rank = (c: ConfidenceOrNone): number => (c === 'none' ? 0 : CONFIDENCES.indexOf(c) + 1);

export function confidenceAtLeast(have: ConfidenceOrNone, need: ConfidenceOrNone): boolean {
  return rank(have) >= rank(need);
}

function levelRuleFor(record: EvidenceRecord, confidence: ConfidenceOrNone): NhsLevelRule {
  const rule = NHS_LEVEL_FOR_CONFIDENCE.find(
    (r) =>
      confidenceAtLeast(confidence, r.minConfidence) &&
      record.verification >= r.minVerification &&
      (!r.pdsMatch || record.pdsMatched),
  );
  // The last row asks for nothing, so a rule is always found.
  return rule ?? NHS_LEVEL_FOR_CONFIDENCE[NHS_LEVEL_FOR_CONFIDENCE.length - 1]!;
}

// ---------------------------------------------------------------------------
// Deciding

export interface ProfileMet {
  readonly profile: Profile;
  /** Which piece of evidence stood for each required piece, in the profile's order. */
  readonly evidence: readonly Evidence[];
}

export interface Decision {
  /** The highest GPG45 confidence met. */
  readonly confidence: ConfidenceOrNone;
  /** The first profile in table order at that confidence; undefined for 'none'. */
  readonly profile: ProfileMet | undefined;
  /** Every profile met, at any confidence, in table order. */
  readonly profilesMet: readonly string[];
  /** The nearest profile at the next confidence up, with what fell short; undefined above high. */
  readonly closestMiss: ProfileCheck | undefined;
  /** The NHS login level given. */
  readonly level: ProofingLevel;
  readonly levelRule: NhsLevelRule;
  /** Why, in sentences, for support staff and auditors. */
  readonly explanation: readonly string[];
}

export function decide(record: EvidenceRecord, profiles: readonly Profile[] = PROFILES): Decision {
  const met = profiles.filter((profile) => meetsProfile(record, profile));
  const confidence = met.reduce<ConfidenceOrNone>(
    (best, profile) => (rank(profile.confidence) > rank(best) ? profile.confidence : best),
    'none',
  );
  const named = met.find((profile) => profile.confidence === confidence);
  const profile: ProfileMet | undefined = named && {
    profile: named,
    evidence: assignEvidence(record.evidence, named.evidence)!.map((index) => record.evidence[index]!),
  };

  const next = CONFIDENCES[rank(confidence)];
  const closestMiss =
    next === undefined
      ? undefined
      : profiles
          .filter((p) => p.confidence === next)
          .map((p) => checkProfile(record, p))
          .reduce<ProfileCheck | undefined>(
            (best, c) => (best === undefined || c.distance < best.distance ? c : best),
            undefined,
          );

  const levelRule = levelRuleFor(record, confidence);
  return {
    confidence,
    profile,
    profilesMet: met.map((p) => p.name),
    closestMiss,
    level: levelRule.level,
    levelRule,
    explanation: explain(record, confidence, profile, met, closestMiss, levelRule),
  };
}

function explain(
  record: EvidenceRecord,
  confidence: ConfidenceOrNone,
  profile: ProfileMet | undefined,
  met: readonly Profile[],
  closestMiss: ProfileCheck | undefined,
  levelRule: NhsLevelRule,
): string[] {
  const lines: string[] = [];
  lines.push(`NHS login level ${levelRule.level}: ${levelRule.why}.`);
  if (profile) {
    const used = profile.evidence
      .map((e, i) => `${e.kind} as ${pair(profile.profile.evidence[i]!)}`)
      .join(', ');
    const others = met.filter((p) => p !== profile.profile).map((p) => p.name);
    lines.push(
      `GPG45 confidence ${confidence}: profile ${profile.profile.text} met` +
        (used ? ` (${used})` : '') +
        (others.length > 0 ? `; also met: ${others.join(', ')}` : '') +
        '.',
    );
  } else {
    lines.push('GPG45 confidence none: no profile met.');
  }
  if (closestMiss) {
    lines.push(
      `Nearest ${closestMiss.profile.confidence} profile, ${closestMiss.profile.text}, fell short on: ` +
        closestMiss.shortfalls.map((s) => s.text).join('; ') +
        '.',
    );
  }
  lines.push(
    `Scores: evidence ${record.evidence.length === 0 ? 'none' : record.evidence.map((e) => `${e.kind} ${pair(e)}`).join(', ')}; ` +
      `activity ${record.activity}, fraud ${record.fraud}, verification ${record.verification}.`,
  );
  for (const e of record.evidence) for (const reason of e.reasons) lines.push(`${e.kind}: ${reason}`);
  for (const part of ['activity', 'fraud', 'verification'] as const) {
    for (const reason of record.reasons[part]) lines.push(`${PART_NAMES[part]}: ${reason}`);
  }
  for (const reason of record.reasons.pds) lines.push(`demographics: ${reason}`);
  return lines;
}
