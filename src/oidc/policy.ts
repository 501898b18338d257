// When the provider must send the person to us (the interaction) instead of
// answering the supplier straight away. One prompt, `login`, with NHS login's
// rules as checks. With `prompt=none` any failed check answers the supplier
// with `sso_login_required`, as the real service does.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { firstVectorMet, stepUpNeeded } from '../domain/vectors-of-trust.js';
import { requestedVectors, sessionCredentials } from './vtr.js';
import type { ProofingLevel } from './vtr.js';

const { Prompt, Check } = interactionPolicy;
const SSO_ERROR = 'sso_login_required';
/** A sign-in is good for single sign-on for at most 12 hours, however active. */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

interface LoadedAccount {
  proofingLevel: ProofingLevel;
}

function account(ctx: KoaContextWithOIDC): LoadedAccount | undefined {
  return ctx.oidc.account as unknown as LoadedAccount | undefined;
}

/** The session exists on every authorization request (oidc-provider loads it before the policy runs). */
function session(ctx: KoaContextWithOIDC) {
  return ctx.oidc.session!;
}

function state(ctx: KoaContextWithOIDC) {
  const acct = account(ctx);
  return {
    level: acct?.proofingLevel ?? 'P0',
    credentials: sessionCredentials(session(ctx).amr),
  };
}

export function buildPolicy() {
  const login = new Prompt(
    { name: 'login', requestable: true },
    (ctx: KoaContextWithOIDC) => ({
      vtr: (ctx.oidc.params as Record<string, unknown>).vtr,
      allowRegistration: (ctx.oidc.params as Record<string, unknown>).allow_registration !== 'false',
    }),
    new Check('no_session', 'End-User authentication is required', SSO_ERROR, (ctx) =>
      session(ctx).accountId && account(ctx) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
    ),
    new Check('session_too_old', 'End-User authentication is too old', SSO_ERROR, (ctx) =>
      session(ctx).accountId && session(ctx).past(SESSION_MAX_AGE_SECONDS)
        ? Check.REQUEST_PROMPT
        : Check.NO_NEED_TO_PROMPT,
    ),
    new Check(
      'vtr_not_met',
      'the session does not meet the requested vectors of trust',
      SSO_ERROR,
      (ctx) => {
        if (!session(ctx).accountId || !account(ctx)) return Check.REQUEST_PROMPT;
        const vot = firstVectorMet(requestedVectors(ctx.oidc.params as Record<string, unknown>), state(ctx));
        if (!vot) return Check.REQUEST_PROMPT;
        // The vector met becomes the session's acr, which the authorization
        // code and refresh token carry; it comes back as the `vot` claim.
        session(ctx).acr = vot.text;
        return Check.NO_NEED_TO_PROMPT;
      },
      (ctx) => ({
        stepUp: session(ctx).accountId
          ? stepUpNeeded(requestedVectors(ctx.oidc.params as Record<string, unknown>), state(ctx))
          : undefined,
      }),
    ),
  );
  // The provider's own login_prompt check (prompt=login) answers login_required; keep that.
  return [login];
}
