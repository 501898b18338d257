// The support pages of the back office: find a patient (search.ts), see
// their account (patient.ts), act on it (actions.ts) and copy everything
// held about them (export.ts). Who may open which patient: access.ts.
// Erasures that come due are carried out by the housekeeping job (erasure.ts).
import type { BackofficeKit } from '../kit.js';
import { registerActionRoutes } from './actions.js';
import { registerExportRoutes } from './export.js';
import { registerPatientRoutes } from './patient.js';
import { registerSearchRoutes } from './search.js';

export function registerSupportRoutes(kit: BackofficeKit): void {
  registerSearchRoutes(kit);
  registerPatientRoutes(kit);
  registerActionRoutes(kit);
  registerExportRoutes(kit);
}
