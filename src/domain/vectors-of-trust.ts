// Vectors of trust (RFC 8485) as NHS login profiles them: a supplier asks
// for one or more vectors, each naming a proofing level and the credentials
// the person must have used in this session.
import { err, ok, type Result } from './result.js';

export type ProofingLevel = 'P0' | 'P5' | 'P9';
export type Credential = 'Cp' | 'Cd' | 'Ck' | 'Cm';
export type Vector = { level: ProofingLevel; credentials: Credential[]; text: string };

/** What the person has achieved: their proofing level and this session's credentials. */
export type TrustState = { level: ProofingLevel; credentials: ReadonlySet<Credential> };

export type StepUp =
  { kind: 'proofing'; level: ProofingLevel } | { kind: 'credentials'; options: Credential[][] };

export const PROOFING_LEVELS: readonly ProofingLevel[] = ['P0', 'P5', 'P9'];
export const CREDENTIALS: readonly Credential[] = ['Cp', 'Cd', 'Ck', 'Cm'];

// NHS login allows only these credential combinations; anything else (for
// example Cd on its own, which is not a sign-in) is refused rather than
// guessed at.
const CREDENTIAL_PROFILES = ['Cp', 'Cp.Cd', 'Cp.Ck', 'Cm'] as const;

export const DEFAULT_VTR: readonly string[] = ['P9.Cp.Cd', 'P9.Cp.Ck', 'P9.Cm'];

const LEVEL_RANK: Record<ProofingLevel, number> = { P0: 0, P5: 1, P9: 2 };

const isLevel = (s: string): s is ProofingLevel => (PROOFING_LEVELS as readonly string[]).includes(s);

export function parseVector(text: string): Result<Vector, string> {
  const [level, ...credentials] = text.split('.');
  if (level === undefined || !isLevel(level)) {
    return err(`The vector of trust ${JSON.stringify(text)} must start with a proofing level: P0, P5 or P9.`);
  }
  const credentialText = credentials.join('.');
  if (!(CREDENTIAL_PROFILES as readonly string[]).includes(credentialText)) {
    return err(
      `The vector of trust ${JSON.stringify(text)} must follow its level with Cp, Cp.Cd, Cp.Ck or Cm.`,
    );
  }
  return ok({ level, credentials: credentials as Credential[], text });
}

export const DEFAULT_VECTORS: readonly Vector[] = DEFAULT_VTR.map((text) => {
  const parsed = parseVector(text);
  if (!parsed.ok) throw new Error(`DEFAULT_VTR is invalid: ${parsed.error}`);
  return parsed.value;
});

/**
 * Parses the `vtr` request parameter (already URL-decoded). An absent or
 * empty parameter means the default P9 list, as in the real interface; the
 * caller knows it was defaulted because it passed undefined.
 */
export function parseVtr(raw: string | undefined): Result<Vector[], string> {
  if (raw === undefined || raw.trim() === '') return ok(DEFAULT_VECTORS.map(copyVector));
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return err('The vtr parameter must be a JSON array of vectors of trust, for example ["P9.Cp.Cd"].');
  }
  if (!Array.isArray(parsed)) {
    return err('The vtr parameter must be a JSON array of vectors of trust, for example ["P9.Cp.Cd"].');
  }
  if (parsed.length === 0) return err('The vtr parameter must name at least one vector of trust.');
  const vectors: Vector[] = [];
  const seen = new Set<string>();
  for (const item of parsed) {
    if (typeof item !== 'string') return err('Each vector of trust in vtr must be a string.');
    if (seen.has(item))
      return err(`The vector of trust ${JSON.stringify(item)} appears more than once in vtr.`);
    seen.add(item);
    const vector = parseVector(item);
    if (!vector.ok) return vector;
    vectors.push(vector.value);
  }
  return ok(vectors);
}

const copyVector = (v: Vector): Vector => ({ ...v, credentials: [...v.credentials] });

export function levelAtLeast(have: ProofingLevel, need: ProofingLevel): boolean {
  return LEVEL_RANK[have] >= LEVEL_RANK[need];
}

/** Components of one vector are ANDed. */
export function vectorMet(vector: Vector, state: TrustState): boolean {
  return levelAtLeast(state.level, vector.level) && vector.credentials.every((c) => state.credentials.has(c));
}

/**
 * Vectors are ORed; the supplier listed them in its order of preference, so
 * the first one met is the one reported in `vot`.
 */
export function firstVectorMet(requested: readonly Vector[], state: TrustState): Vector | undefined {
  return requested.find((v) => vectorMet(v, state));
}

/**
 * What the person must do to meet one of the requested vectors, or
 * undefined when one is met already. A credential step-up is offered when
 * any vector's level is already reached, because signing in again is far
 * lighter than proving identity.
 */
export function stepUpNeeded(requested: readonly Vector[], state: TrustState): StepUp | undefined {
  if (firstVectorMet(requested, state)) return undefined;
  const options: Credential[][] = [];
  const seen = new Set<string>();
  for (const vector of requested) {
    if (!levelAtLeast(state.level, vector.level)) continue;
    const missing = vector.credentials.filter((c) => !state.credentials.has(c));
    const key = missing.join('.');
    if (seen.has(key)) continue;
    seen.add(key);
    options.push(missing);
  }
  if (options.length > 0) return { kind: 'credentials', options };
  const above = requested
    .map((v) => v.level)
    .filter((level) => !levelAtLeast(state.level, level))
    .sort((a, b) => LEVEL_RANK[a] - LEVEL_RANK[b]);
  const level = above[0];
  // Unreachable when requested is non-empty: every vector is either at or
  // below the person's level (handled above) or above it.
  if (level === undefined) throw new Error('stepUpNeeded called with no requested vectors');
  return { kind: 'proofing', level };
}

/**
 * A supplier may only ask for the vectors it was onboarded with. When the
 * supplier sent no vtr it did not choose the default list, so rather than
 * fail it for our default we keep the part of the default it may use.
 */
export function checkVtrAllowed(
  requested: readonly Vector[],
  allowed: readonly string[],
  defaulted: boolean,
): Result<Vector[], string> {
  const allowedSet = new Set(allowed);
  if (defaulted) {
    const remaining = requested.filter((v) => allowedSet.has(v.text));
    if (remaining.length === 0) {
      return err(
        'This client is not allowed the default vectors of trust; send a vtr parameter it is allowed.',
      );
    }
    return ok(remaining);
  }
  const refused = requested.find((v) => !allowedSet.has(v.text));
  if (refused) return err(`The vector of trust ${refused.text} is not allowed for this client.`);
  return ok([...requested]);
}

export type TrustmarkDocument = {
  idp: string;
  trustmark_provider: string;
  P: ProofingLevel[];
  C: Credential[];
};

/** The document the `vtm` claim points at, listing what this provider can assert. */
export function trustmarkDocument(issuer: string): TrustmarkDocument {
  return {
    idp: issuer.endsWith('/') ? issuer : issuer + '/',
    trustmark_provider: issuer,
    P: [...PROOFING_LEVELS],
    C: [...CREDENTIALS],
  };
}
