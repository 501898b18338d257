// The audit pages of the back office.
import type { BackofficeKit } from '../kit.js';

export function registerAuditRoutes(_kit: BackofficeKit): void {}
