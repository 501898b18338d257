// What every CLI command is given: the store, the sealer and the audit log,
// and two line writers. Commands return an exit code instead of exiting, so
// tests call them directly and index.ts is the only place that touches the process.
import { userInfo } from 'node:os';
import type { AuditLog } from '../audit/log.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';

export interface CliContext {
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The issuer suppliers configure (config.issuer); used in the openid-client snippet. */
  issuer?: string | undefined;
  /** Who runs the command, for the audit log; the OS user name when not given. */
  operator?: string | undefined;
  /** Refuse development-only commands (seed) when true. */
  production?: boolean | undefined;
  /** Where the demo supplier runs, for `seed` (its redirect URI is this plus /callback). */
  demoSupplierBaseUrl?: string | undefined;
}

export type Command = (ctx: CliContext, args: string[]) => Promise<number>;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const DEFAULT_ISSUER = 'http://localhost:3000';

/** The operator's OS user name, recorded in the audit details of every change. */
export function operatorName(ctx: Pick<CliContext, 'operator'>): string {
  if (ctx.operator) return ctx.operator;
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment.
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
