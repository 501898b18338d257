// Passkeys (WebAuthn) for staff, on @simplewebauthn/server: registering one
// while signed in, and signing in with one. Challenges are kept on the
// server (staff_challenges) for 5 minutes and deleted as they are checked,
// so each answers once. User verification is required (the device's PIN or
// biometric), which makes a passkey a strong sign-in on its own.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Db } from '../store/db.js';
import type { StaffMember } from '../store/schema.js';

const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export interface PasskeyDeps {
  db: Db;
  issuer: string;
}

function relyingParty(issuer: string) {
  const url = new URL(issuer);
  return { rpID: url.hostname, origin: url.origin };
}

/** Keeps the challenge the options carry (as the browser's answer will name it), for 5 minutes. */
async function keepChallenge<T extends { challenge: string }>(
  db: Db,
  options: T,
  purpose: 'register' | 'sign-in',
  staffId: string | null,
): Promise<T> {
  await db
    .insertInto('staff_challenges')
    .values({
      challenge: options.challenge,
      purpose,
      staff_id: staffId,
      expires_at: new Date(Date.now() + CHALLENGE_TTL_MS),
    })
    .execute();
  return options;
}

/** Checks and spends a challenge: true once, for the purpose (and member) it was made for. */
function spendChallenge(db: Db, purpose: 'register' | 'sign-in', staffId: string | null) {
  return async (challenge: string): Promise<boolean> => {
    let q = db
      .deleteFrom('staff_challenges')
      .where('challenge', '=', challenge)
      .where('purpose', '=', purpose)
      .where('expires_at', '>', new Date());
    q = staffId ? q.where('staff_id', '=', staffId) : q.where('staff_id', 'is', null);
    return (await q.executeTakeFirst()).numDeletedRows > 0n;
  };
}

export async function listPasskeys(db: Db, staffId: string) {
  return db
    .selectFrom('staff_passkeys')
    .select(['id', 'created_at', 'last_used_at'])
    .where('staff_id', '=', staffId)
    .orderBy('created_at')
    .execute();
}

export async function passkeyRegistrationOptions(
  deps: PasskeyDeps,
  staff: StaffMember,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpID } = relyingParty(deps.issuer);
  const existing = await deps.db
    .selectFrom('staff_passkeys')
    .select(['id', 'transports'])
    .where('staff_id', '=', staff.id)
    .execute();
  const options = await generateRegistrationOptions({
    rpName: 'NHS login back office',
    rpID,
    userName: staff.email,
    userDisplayName: staff.name,
    userID: new TextEncoder().encode(staff.id),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  return keepChallenge(deps.db, options, 'register', staff.id);
}

/** Verifies a new passkey's registration and stores it. True when it was registered. */
export async function verifyPasskeyRegistration(
  deps: PasskeyDeps,
  staff: StaffMember,
  response: RegistrationResponseJSON,
): Promise<boolean> {
  const { rpID, origin } = relyingParty(deps.issuer);
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: spendChallenge(deps.db, 'register', staff.id),
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
    });
  } catch {
    return false;
  }
  if (!verified.verified) return false;
  const { credential } = verified.registrationInfo;
  const inserted = await deps.db
    .insertInto('staff_passkeys')
    .values({
      id: credential.id,
      staff_id: staff.id,
      public_key: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: JSON.stringify(credential.transports ?? []),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function passkeySignInOptions(
  deps: PasskeyDeps,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpID } = relyingParty(deps.issuer);
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  return keepChallenge(deps.db, options, 'sign-in', null);
}

/** Options to confirm it is them (re-authentication): only their own passkeys, a challenge bound to them. */
export async function passkeyReauthOptions(
  deps: PasskeyDeps,
  staff: StaffMember,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpID } = relyingParty(deps.issuer);
  const theirs = await deps.db
    .selectFrom('staff_passkeys')
    .select(['id', 'transports'])
    .where('staff_id', '=', staff.id)
    .execute();
  const options = await generateAuthenticationOptions({
    rpID,
    userVerification: 'required',
    allowCredentials: theirs.map((p) => ({ id: p.id, transports: p.transports })),
  });
  return keepChallenge(deps.db, options, 'sign-in', staff.id);
}

/** The active staff member a passkey sign-in proves, or undefined. */
export async function verifyPasskeySignIn(
  deps: PasskeyDeps,
  response: AuthenticationResponseJSON,
): Promise<StaffMember | undefined> {
  return verifyAssertion(deps, response, null);
}

/** Does this passkey answer prove it is this staff member, for their re-authentication challenge? */
export async function verifyPasskeyReauth(
  deps: PasskeyDeps,
  staff: StaffMember,
  response: AuthenticationResponseJSON,
): Promise<boolean> {
  return (await verifyAssertion(deps, response, staff.id))?.id === staff.id;
}

/** Removes one of a member's own passkeys; false when they have no such passkey. */
export async function removePasskey(db: Db, staffId: string, passkeyId: string): Promise<boolean> {
  const r = await db
    .deleteFrom('staff_passkeys')
    .where('id', '=', passkeyId)
    .where('staff_id', '=', staffId)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/**
 * Checks an assertion against the stored passkey it names and a challenge
 * made for signing in (`forStaff` null) or for this member's re-authentication.
 */
async function verifyAssertion(
  deps: PasskeyDeps,
  response: AuthenticationResponseJSON,
  forStaff: string | null,
): Promise<StaffMember | undefined> {
  const { rpID, origin } = relyingParty(deps.issuer);
  if (typeof response?.id !== 'string' || response.id.includes('\u0000')) return undefined;
  let query = deps.db.selectFrom('staff_passkeys').selectAll().where('id', '=', response.id);
  if (forStaff) query = query.where('staff_id', '=', forStaff);
  const passkey = await query.executeTakeFirst();
  if (!passkey) return undefined;
  const staff = await deps.db
    .selectFrom('staff_members')
    .selectAll()
    .where('id', '=', passkey.staff_id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!staff) return undefined;
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: spendChallenge(deps.db, 'sign-in', forStaff),
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')),
        counter: passkey.counter,
        transports: passkey.transports,
      },
      requireUserVerification: true,
    });
  } catch {
    return undefined;
  }
  if (!verified.verified) return undefined;
  // A counter that did not move on (when the authenticator keeps one) means a cloned key: refused above by the library.
  await deps.db
    .updateTable('staff_passkeys')
    .set({ counter: verified.authenticationInfo.newCounter, last_used_at: new Date() })
    .where('id', '=', passkey.id)
    .execute();
  return staff;
}
