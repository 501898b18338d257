// What every journey's routes get: an explicit record of their
// collaborators, so tests pass real ones (or their own) without module mocks.
import type Provider from 'oidc-provider';
import type { AuditLog } from '../audit/log.js';
import type { Notifier } from '../adapters/notify/port.js';
import type { RateLimits } from '../adapters/rate-limits.js';
import type { EvidenceStore } from '../adapters/document-check/evidence-store.js';
import type { FaceMatcher } from '../adapters/face-match/port.js';
import type { GpSystem } from '../adapters/gp-system/index.js';
import type { Demographics } from '../adapters/pds/index.js';
import type { PasswordPolicy } from '../domain/password-policy.js';
import type { AdapterFactory } from '../oidc/access-token.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import type { CodeService } from './codes.js';
import type { JourneyStore } from './state.js';

export interface JourneyDeps {
  issuer: string;
  production: boolean;
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  notifier: Notifier;
  limits: RateLimits;
  passwords: PasswordPolicy;
  /** The national demographics record (PDS). */
  demographics: Demographics;
  /** The GP clinical systems (IM1): GP online services details. */
  gpSystem: GpSystem;
  /** Photo ID evidence (document photos, videos, frames), encrypted, with retention. */
  evidence: EvidenceStore;
  /** Finds and compares faces (photo ID checks). */
  faces: FaceMatcher;
  codes: CodeService;
  journeys: JourneyStore;
  /** The provider of the moment (it is rebuilt when signing keys rotate). */
  provider: () => Provider;
  /** The provider's storage, for what we keep beside its grants (who a delegate acts for). */
  adapter: AdapterFactory;
}
