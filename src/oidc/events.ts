// What the provider does goes into the audit log: tokens issued and refused,
// client authentication failures, reused codes, authorization errors and
// logouts. oidc-provider emits events synchronously; the audit write is
// awaited in the background and a failure to write is logged, never thrown
// into the supplier's response.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { AUDIT_EVENTS, type AuditCode } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import { JWT_BEARER_GRANT } from './users-api-grant.js';

interface Logger {
  error(obj: unknown, msg?: string): void;
}

interface OidcError {
  error?: string;
  error_description?: string;
  error_detail?: string;
}

export function auditProviderEvents(provider: Provider, audit: AuditLog, log: Logger): void {
  const record = (ctx: KoaContextWithOIDC, code: AuditCode, details: Record<string, unknown> = {}) => {
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
    audit
      .record({
        code,
        clientId: oidc?.client?.clientId,
        accountId: oidc?.account?.accountId ?? oidc?.session?.accountId,
        ip: ctx.ip,
        details,
      })
      .catch((e: unknown) => log.error({ err: e }, 'audit write failed'));
  };

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const raw = (ctx.oidc.params as Record<string, unknown>).grant_type;
    const grantType = typeof raw === 'string' ? raw : '';
    // The Users API grant records its own event (USERS_API_TOKEN_ISSUED, users-api-grant.ts).
    if (grantType === JWT_BEARER_GRANT) return;
    record(ctx, grantType === 'refresh_token' ? AUDIT_EVENTS.TOKEN_REFRESHED : AUDIT_EVENTS.TOKEN_ISSUED, {
      grantType,
    });
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, err: OidcError) => {
    // oidc-provider says "authorization code already consumed" / "refresh token already used" in the detail.
    const reused = /already (consumed|used)/.test(`${err.error_description ?? ''} ${err.error_detail ?? ''}`);
    const code =
      err.error === 'invalid_client'
        ? AUDIT_EVENTS.CLIENT_AUTH_FAILED
        : reused
          ? AUDIT_EVENTS.CODE_REUSED
          : AUDIT_EVENTS.AUTHORIZATION_ERROR;
    record(ctx, code, {
      endpoint: 'token',
      error: err.error,
      detail: err.error_detail ?? err.error_description,
    });
  });
  provider.on('authorization.error', (ctx: KoaContextWithOIDC, err: OidcError) => {
    record(ctx, AUDIT_EVENTS.AUTHORIZATION_ERROR, {
      endpoint: 'authorize',
      error: err.error,
      detail: err.error_description,
    });
  });
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => record(ctx, AUDIT_EVENTS.SIGNED_OUT));
  provider.on('server_error', (_ctx: KoaContextWithOIDC, err: unknown) =>
    log.error({ err }, 'oidc-provider server error'),
  );
}
