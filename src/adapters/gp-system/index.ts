// The GP system (IM1): a real one over HTTP when a base URL is configured,
// the embedded simulated GP system otherwise.
import { createEmbeddedGpSystem } from './embedded.js';
import { createHttpGpSystem } from './http.js';
import type { GpSystem } from './port.js';

export type * from './port.js';
export { createEmbeddedGpSystem, DEFAULT_LOCK_AFTER, type EmbeddedGpSystem } from './embedded.js';
export { createHttpGpSystem, DEFAULT_GP_SYSTEM_TIMEOUT_MS } from './http.js';
export { linkageFingerprint, normaliseLinkageDetails, toCredentials } from './details.js';
export { DEFAULT_GP_LINKAGES_FILE, NAMED_GP_LINKAGES } from './linkages.js';

export interface CreateGpSystemOptions {
  /** The IM1 gateway's base URL (GP_SYSTEM_BASE_URL); unset means the embedded simulated GP system. */
  baseUrl?: string;
  /** Sent as a bearer token (GP_SYSTEM_API_KEY). */
  apiKey?: string;
  /** Per request (GP_SYSTEM_TIMEOUT_MS); default 10 s. */
  timeoutMs?: number;
  /** The embedded system's linkages file (default fixtures/gp-system/linkages.ndjson). */
  dataFile?: string;
  /** The embedded system's register (default fixtures/pds/synthetic-patients.ndjson). */
  patientsFile?: string;
}

export function createGpSystem(options: CreateGpSystemOptions = {}): GpSystem {
  if (options.baseUrl) {
    return createHttpGpSystem({
      baseUrl: options.baseUrl,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
  return createEmbeddedGpSystem({
    ...(options.dataFile ? { dataFile: options.dataFile } : {}),
    ...(options.patientsFile ? { patientsFile: options.patientsFile } : {}),
  });
}
