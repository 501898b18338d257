// An account as a SCIM User (RFC 7643) with NHS login's extension
// `uk:nhs:login:auth:1.0:User`. What a supplier sees follows the same rules
// as its ID token and userinfo (domain/claims.ts): the data scopes in its
// token and the person's proofing level. So the NHS number needs `profile`
// and P5 or P9, the email `email`, the GP practice `gp_registration_details`
// (or `gp_integration_credentials`) and P5 or P9; GP integration credentials
// are not stored yet, so gpUserId and gpLinkageKey never appear.
import { claimsFor, type PersonClaimsSource } from '../domain/claims.js';

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const NHS_LOGIN_USER_SCHEMA = 'uk:nhs:login:auth:1.0:User';
export const SCIM_LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface NhsLoginUserExtension {
  vectorsOfTrust: { IdentityProofing: string };
  nhsNumber?: string;
  gpOdsCode?: string;
  gpUserId?: string;
  gpLinkageKey?: string;
}

export interface ScimUser {
  schemas: string[];
  id: string;
  userName?: string;
  emails?: { value: string; primary: boolean }[];
  active: boolean;
  [NHS_LOGIN_USER_SCHEMA]: NhsLoginUserExtension;
  meta: { resourceType: 'User' };
}

export interface ScimListResponse {
  schemas: string[];
  totalResults: number;
  Resources: ScimUser[];
  startIndex: number;
  itemsPerPage: number;
}

interface GpClaims {
  gp_ods_code?: string;
  gp_user_id?: string;
  gp_linkage_key?: string;
}

/** The person as a SCIM User, showing what the token's scopes and the person's level allow. */
export function scimUser(person: PersonClaimsSource, scopes: readonly string[]): ScimUser {
  const claims = claimsFor(person, scopes);
  const extension: NhsLoginUserExtension = {
    vectorsOfTrust: { IdentityProofing: person.proofing_level },
  };
  if (typeof claims.nhs_number === 'string') extension.nhsNumber = claims.nhs_number;
  const credentials = claims.gp_integration_credentials as GpClaims | undefined;
  const registration = claims.gp_registration_details as GpClaims | undefined;
  const gpOdsCode = registration?.gp_ods_code ?? credentials?.gp_ods_code;
  if (gpOdsCode) extension.gpOdsCode = gpOdsCode;
  if (credentials?.gp_user_id) extension.gpUserId = credentials.gp_user_id;
  if (credentials?.gp_linkage_key) extension.gpLinkageKey = credentials.gp_linkage_key;
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  return {
    schemas: [SCIM_USER_SCHEMA, NHS_LOGIN_USER_SCHEMA],
    id: person.sub,
    ...(email ? { userName: email, emails: [{ value: email, primary: true }] } : {}),
    active: true,
    [NHS_LOGIN_USER_SCHEMA]: extension,
    meta: { resourceType: 'User' },
  };
}

export function listResponse(resources: ScimUser[]): ScimListResponse {
  return {
    schemas: [SCIM_LIST_RESPONSE],
    totalResults: resources.length,
    Resources: resources,
    startIndex: 1,
    itemsPerPage: resources.length,
  };
}
