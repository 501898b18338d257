// Demographics (PDS): the real FHIR API when a base URL is configured, the
// embedded synthetic national record otherwise.
import { createEmbeddedDemographics } from './embedded.js';
import { createHttpDemographics } from './http.js';
import type { Demographics, TokenProvider } from './port.js';

export type * from './port.js';
export { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from './port.js';
export { createEmbeddedDemographics, type EmbeddedDemographics } from './embedded.js';
export { createHttpDemographics, DEFAULT_PDS_TIMEOUT_MS } from './http.js';

export interface CreateDemographicsOptions {
  /** PDS FHIR R4 base URL, e.g. https://int.api.service.nhs.uk/personal-demographics/FHIR/R4 */
  pdsBaseUrl?: string;
  /** OAuth 2 access tokens for PDS (application-restricted access). */
  tokenProvider?: TokenProvider;
  /** For endpoints that take an `apikey` header instead of (or as well as) a token. */
  apiKey?: string;
  timeoutMs?: number;
  /** The embedded record's data file (default fixtures/pds/synthetic-patients.ndjson). */
  dataFile?: string;
}

export function createDemographics(options: CreateDemographicsOptions = {}): Demographics {
  if (options.pdsBaseUrl) {
    return createHttpDemographics({
      baseUrl: options.pdsBaseUrl,
      ...(options.tokenProvider ? { tokenProvider: options.tokenProvider } : {}),
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
  return createEmbeddedDemographics(options.dataFile ? { dataFile: options.dataFile } : {});
}

/** A token provider for a fixed access token (a sandbox, or a token fetched elsewhere). */
export function staticToken(token: string): TokenProvider {
  return () => token;
}
