// How the provider sees a person: their claims by scope and proofing level,
// and the NHS login extras in the ID token (jti, vot, vtm).
import { randomUUID } from 'node:crypto';
import type { Account as OidcAccount, KoaContextWithOIDC } from 'oidc-provider';
import { claimsFor, type PersonClaimsSource } from '../domain/claims.js';
import { findAccountById, type Account } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import type { AdapterFactory } from './access-token.js';
import { actingForClaim } from './acting-for.js';
import { idTokenWithheld } from './refresh-id-token.js';
import { trustmarkUrl } from './trustmark.js';
import type { ProofingLevel } from './vtr.js';

/** Claims the ID token may carry (interface.md, Tokens); the rest are for /userinfo. */
const ID_TOKEN_CLAIMS = new Set([
  'family_name',
  'birthdate',
  'nhs_number',
  'identity_proofing_level',
  'acting_for',
]);
const ID_TOKEN_LIFETIME_SECONDS = 60 * 60;

export interface ProviderAccount extends OidcAccount {
  proofingLevel: ProofingLevel;
  /** The row this was made from, so later steps of the same request need not read it again. */
  record: Account;
}

/**
 * The account the provider loaded earlier in this request (a grant at /token
 * sets ctx.oidc.account before it issues tokens), when it is this person's:
 * one database read per request instead of one per step that needs it.
 */
export function accountLoadedFor(ctx: KoaContextWithOIDC, accountId: string): Account | undefined {
  const loaded = ctx.oidc.account as ProviderAccount | undefined;
  return loaded?.accountId === accountId ? loaded.record : undefined;
}

export function personFromAccount(
  a: Account,
  sealer: Sealer,
  clientUserMetadata?: string,
): PersonClaimsSource {
  return {
    sub: a.id,
    proofing_level: a.proofing_level,
    email: a.email,
    phone_number: a.phone_number,
    phone_number_verified: a.phone_number_verified,
    phone_number_pds_matched: a.phone_number_pds_matched,
    landline_number: a.landline_number ?? undefined,
    landline_number_verified: a.landline_number_verified,
    nhs_number: a.nhs_number ? sealer.open(a.nhs_number) : undefined,
    family_name: a.family_name ?? undefined,
    given_name: a.given_name ?? undefined,
    birthdate: a.birthdate ?? undefined,
    gp_ods_code: a.gp_ods_code ?? undefined,
    // Set only by proving with GP online services details (the key sealed at rest).
    gp_user_id: a.gp_user_id ?? undefined,
    gp_linkage_key: a.gp_linkage_key ? sealer.open(a.gp_linkage_key) : undefined,
    client_user_metadata: clientUserMetadata,
  };
}

/** A record of each ID token we issue, so `asserted_login_identity` can name one by its jti. */
export interface IssuedIdToken {
  accountId: string;
  clientId: string;
  acr?: string;
  amr?: string[];
  authTime?: number;
}

export const ISSUED_ID_TOKEN = 'IssuedIdToken';

export function createFindAccount(deps: { db: Db; sealer: Sealer; issuer: string; adapter: AdapterFactory }) {
  return async function findAccount(
    ctx: KoaContextWithOIDC,
    sub: string,
    token?: { acr?: string; amr?: string[]; authTime?: number },
  ): Promise<ProviderAccount | undefined> {
    const row = await findAccountById(deps.db, sub);
    // A locked account (support, back office) is as good as gone to the
    // provider: no sign-in from a session, no refresh, no new tokens.
    if (!row || row.locked_at) return undefined;
    // A sandpit supplier may only ever see test people, whatever session a real person brings.
    if ((ctx.oidc.client as { sandpit?: boolean } | undefined)?.sandpit && !row.test_person) return undefined;
    return {
      accountId: row.id,
      // P0 while a level is suspended (store/migrations/0004 holds the suspended level aside).
      proofingLevel: row.proofing_level,
      record: row,
      async claims(use, scope) {
        // No ID token is made for a refresh grant: nothing to gather or record for one.
        if (use === 'id_token' && idTokenWithheld(ctx)) return { sub: row.id };
        const scopes = scope.split(' ');
        const person = personFromAccount(row, deps.sealer);
        // Whose care the person chose to manage at sign-in (the grant the token came from).
        if (scopes.includes('delegations'))
          person.acting_for = await actingForClaim(deps, row, ctx.oidc.entities.Grant?.jti);
        const claims = claimsFor(person, scopes);
        if (use !== 'id_token') return { ...claims, sub: row.id };
        const idClaims: Record<string, unknown> = { sub: row.id };
        for (const [name, value] of Object.entries(claims))
          if (ID_TOKEN_CLAIMS.has(name)) idClaims[name] = value;
        const jti = randomUUID();
        const clientId = ctx.oidc.client?.clientId;
        if (clientId) {
          const record: IssuedIdToken = {
            accountId: row.id,
            clientId,
            acr: token?.acr,
            amr: token?.amr,
            authTime: token?.authTime,
          };
          await deps.adapter(ISSUED_ID_TOKEN).upsert(jti, record as never, ID_TOKEN_LIFETIME_SECONDS);
        }
        return { ...idClaims, sub: row.id, jti, vot: token?.acr, vtm: trustmarkUrl(deps.issuer) };
      },
    };
  };
}
