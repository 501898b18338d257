// The suppliers pages of the back office.
import type { BackofficeKit } from '../kit.js';

export function registerSupplierRoutes(_kit: BackofficeKit): void {}
