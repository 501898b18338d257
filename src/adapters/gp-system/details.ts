// GP online services details: how they are written, read back and told apart.
// Shared by both adapters, the data file and its generator.
import { createHash } from 'node:crypto';
import type { GpIntegrationCredentials, LinkageDetails } from './port.js';

/** Letters and digits a person cannot misread on a printed letter (no 0/O/o, 1/l/I). */
export const LINKAGE_KEY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
/** Length of the keys this service generates (EMIS keys are about 13 characters). */
export const LINKAGE_KEY_LENGTH = 13;
/** Length of the Account IDs this service generates (EMIS-style, digits only). */
export const ACCOUNT_ID_LENGTH = 10;

/**
 * Details as typed, tidied the way a GP system reads them: spaces (people
 * copy them from a letter in groups) removed, the ODS code upper case. The
 * Linkage Key stays case-sensitive.
 */
export function normaliseLinkageDetails(details: LinkageDetails): LinkageDetails {
  return {
    accountId: details.accountId.replace(/\s+/gu, ''),
    linkageKey: details.linkageKey.replace(/\s+/gu, ''),
    odsCode: normaliseOdsCode(details.odsCode),
  };
}

export function normaliseOdsCode(odsCode: string): string {
  return odsCode.replace(/\s+/gu, '').toUpperCase();
}

/** The details as the `gp_integration_credentials` claim. */
export function toCredentials(details: LinkageDetails): GpIntegrationCredentials {
  return {
    gp_user_id: details.accountId,
    gp_linkage_key: details.linkageKey,
    gp_ods_code: details.odsCode,
  };
}

/**
 * A stable fingerprint of one set of details (SHA-256, hex), for the store to
 * keep in a unique column so that each set proves one account only, without
 * keeping the Linkage Key in the clear for that purpose.
 */
export function linkageFingerprint(details: LinkageDetails): string {
  const d = normaliseLinkageDetails(details);
  return createHash('sha256')
    .update(`gp-linkage:v1\n${d.odsCode}\n${d.accountId}\n${d.linkageKey}`)
    .digest('hex');
}
