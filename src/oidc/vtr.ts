// `vtr` on the authorization request: parsed, defaulted, checked against the
// supplier's allow-list, and written back as the exact list the rest of the
// journey (policy checks, step-up, `vot`) works from.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import {
  DEFAULT_VTR,
  checkVtrAllowed,
  parseVtr,
  type Credential,
  type ProofingLevel,
  type Vector,
} from '../domain/vectors-of-trust.js';

export async function validateVtrParam(
  ctx: KoaContextWithOIDC,
  value: string | undefined,
  client: unknown,
): Promise<void> {
  const defaulted = value === undefined || value === '';
  const parsed = parseVtr(defaulted ? JSON.stringify(DEFAULT_VTR) : value);
  if (!parsed.ok) throw new errors.InvalidRequest(parsed.error);
  const allowedList = (client as { allowed_vtr?: string[] }).allowed_vtr ?? DEFAULT_VTR;
  const allowed = checkVtrAllowed(parsed.value, allowedList, defaulted);
  if (!allowed.ok) throw new errors.InvalidRequest(allowed.error);
  (ctx.oidc.params as Record<string, unknown>).vtr = JSON.stringify(allowed.value.map((v) => v.text));
  return Promise.resolve();
}

/** The vectors this authorization asked for (already validated on the way in). */
export function requestedVectors(params: Record<string, unknown>): Vector[] {
  const parsed = parseVtr(typeof params.vtr === 'string' ? params.vtr : JSON.stringify(DEFAULT_VTR));
  if (!parsed.ok) throw new errors.InvalidRequest(parsed.error);
  return parsed.value;
}

/** What this browser session has shown, kept in the provider session's `amr`. */
export function sessionCredentials(amr: unknown): Set<Credential> {
  const valid = new Set<Credential>(['Cp', 'Cd', 'Ck', 'Cm']);
  return new Set(Array.isArray(amr) ? amr.filter((c): c is Credential => valid.has(c as Credential)) : []);
}

export type { Credential, ProofingLevel, Vector };
