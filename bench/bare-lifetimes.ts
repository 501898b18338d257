// The bare oidc-provider's lifetimes, seconds: a copy of LIFETIMES in
// src/oidc/provider.ts (test/bench-stats.test.ts checks they are the same),
// kept apart so the baseline does not load our provider's module graph and
// its resident memory is the engine's own.
export const BARE_LIFETIMES = {
  AuthorizationCode: 10 * 60,
  IdToken: 60 * 60,
  AccessToken: 5 * 60,
  RefreshToken: 30 * 24 * 60 * 60,
  Interaction: 60 * 60,
  Session: 30 * 60,
  Grant: 30 * 24 * 60 * 60,
} as const;
