// Development seed: the demo supplier and test people at P0, P5 and P9, so a
// newcomer can walk every journey at once. Never run in production (the demo
// supplier's private key is in the repository).
import { readFileSync } from 'node:fs';
import { generateTestNhsNumber } from '../domain/nhs-number.js';
import { hashPassword } from '../journeys/passwords.js';
import { createAccount, findAccountByEmail } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import { findSupplier, saveSupplier } from '../store/suppliers.js';

/** Committed with the demo supplier; for local use only (see demo-supplier/keys/README.md). */
const DEMO_SUPPLIER_PUBLIC_KEY_PATH = new URL(
  '../../demo-supplier/keys/demo-supplier-public.pem',
  import.meta.url,
);

export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestPerson {
  email: string;
  phone: string;
  level: 'P0' | 'P5' | 'P9';
  nhsNumber?: string;
  familyName?: string;
  givenName?: string;
  birthdate?: string;
  gpOdsCode?: string;
}

/** Phone numbers from Ofcom's range for drama (never a real person's). */
export const TEST_PEOPLE: TestPerson[] = [
  { email: 'p0.patient@example.com', phone: '+447700900000', level: 'P0' },
  {
    email: 'p5.patient@example.com',
    phone: '+447700900005',
    level: 'P5',
    nhsNumber: generateTestNhsNumber(0),
    familyName: 'Ashworth',
    givenName: 'Priya',
    birthdate: '1984-03-17',
    gpOdsCode: 'A12345',
  },
  {
    email: 'p9.patient@example.com',
    phone: '+447700900009',
    level: 'P9',
    nhsNumber: generateTestNhsNumber(1),
    familyName: 'Okafor',
    givenName: 'Daniel',
    birthdate: '1959-11-02',
    gpOdsCode: 'B82046',
  },
];

export const DEMO_CLIENT_ID = 'demo-supplier';

const ALL_VECTORS = ['P0', 'P5', 'P9'].flatMap((p) => ['Cp', 'Cp.Cd', 'Cp.Ck', 'Cm'].map((c) => `${p}.${c}`));

export async function seedDemoSupplier(db: Db, baseUrl: string): Promise<void> {
  const existing = await findSupplier(db, DEMO_CLIENT_ID);
  const redirect = `${baseUrl}/callback`;
  if (existing?.metadata.redirect_uris.includes(redirect)) return;
  const result = await saveSupplier(db, {
    clientId: DEMO_CLIENT_ID,
    name: 'Demo GP surgery app',
    publicKeysPem: [readFileSync(DEMO_SUPPLIER_PUBLIC_KEY_PATH, 'utf8')],
    redirectUris: [redirect],
    scopes: [
      'openid',
      'profile',
      'basic_demographics',
      'profile_extended',
      'email',
      'phone',
      'landline',
      'gp_registration_details',
      'gp_integration_credentials',
      'client_metadata',
      'delegations',
    ],
    allowedVectors: ALL_VECTORS,
    postLogoutRedirectUris: [`${baseUrl}/`],
  });
  if (!result.ok) throw new Error(`demo supplier: ${result.error}`);
}

export async function seedTestPeople(db: Db, sealer: Sealer): Promise<void> {
  const passwordHash = await hashPassword(TEST_PASSWORD);
  for (const p of TEST_PEOPLE) {
    if (await findAccountByEmail(db, p.email)) continue;
    await createAccount(db, {
      email: p.email,
      password_hash: passwordHash,
      phone_number: p.phone,
      phone_number_verified: true,
      proofing_level: p.level,
      nhs_number: p.nhsNumber ? sealer.seal(p.nhsNumber) : null,
      nhs_number_hash: p.nhsNumber ? sealer.lookupHash(p.nhsNumber) : null,
      family_name: p.familyName ?? null,
      given_name: p.givenName ?? null,
      birthdate: p.birthdate ?? null,
      gp_ods_code: p.gpOdsCode ?? null,
      test_person: true,
    });
  }
}
