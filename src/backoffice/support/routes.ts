// The support pages of the back office.
import type { BackofficeKit } from '../kit.js';

export function registerSupportRoutes(_kit: BackofficeKit): void {}
