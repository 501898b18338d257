// What a member of staff's organisation lets them see. Staff of the service
// operator (ODS code X26) work across every organisation; staff of any other
// organisation (a GP practice, a pharmacy) see only their own: their own
// colleagues, and patients registered with them.
import { OPERATOR_ODS_CODE } from './roles.js';

interface HasOrganisation {
  ods_code: string;
}

export function worksAcrossOrganisations(staff: HasOrganisation): boolean {
  return staff.ods_code === OPERATOR_ODS_CODE;
}

/** May this member of staff see people (staff or patients) belonging to this organisation? */
export function seesOrganisation(staff: HasOrganisation, odsCode: string | null | undefined): boolean {
  return (
    worksAcrossOrganisations(staff) ||
    (odsCode !== null && odsCode !== undefined && odsCode === staff.ods_code)
  );
}

/** The organisation filter for lists: undefined (everyone) or the member's own ODS code. */
export function organisationFilter(staff: HasOrganisation): string | undefined {
  return worksAcrossOrganisations(staff) ? undefined : staff.ods_code;
}
