// People and delegations made straight in the store, for tests of what
// suppliers see of delegated access (the invitation journey has its own tests).
import { randomUUID } from 'node:crypto';
import type { Permission } from '../../src/domain/delegation.js';
import type { Account } from '../../src/store/accounts.js';
import { changeStatus, createInvitation } from '../../src/store/delegations.js';
import { newPerson } from './people.js';
import type { TestService } from './service.js';

/** A person proved to P9, with a name and date of birth. */
export async function p9Person(service: TestService, tag: string, nhsNumber?: string): Promise<Account> {
  const person = await newPerson(service.database.db, tag);
  return service.database.db
    .updateTable('accounts')
    .set({
      proofing_level: 'P9',
      given_name: 'Pat',
      family_name: `${tag}-${person.id.slice(0, 4)}`,
      birthdate: '1950-03-04',
      ...(nhsNumber
        ? {
            nhs_number: service.sealer.seal(nhsNumber),
            nhs_number_hash: service.sealer.lookupHash(nhsNumber),
          }
        : {}),
    })
    .where('id', '=', person.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An active delegation from grantor to delegate; returns its id. */
export async function activeDelegation(
  service: TestService,
  grantor: Account,
  to: Account,
  permissions: readonly Permission[] = ['appointments', 'prescriptions'],
): Promise<string> {
  const db = service.database.db;
  const id = await createInvitation(db, {
    grantorId: grantor.id,
    relationship: 'Son',
    permissions,
    invitee: { email: to.email, familyName: to.family_name!, givenName: 'Pat', birthDate: '1950-03-04' },
    tokenHash: randomUUID(),
    expiresAt: new Date(Date.now() + 60_000),
  });
  const accepted = await changeStatus(
    db,
    id,
    { type: 'accept', bothProved: true },
    { kind: 'delegate', id: to.id },
    { delegateId: to.id },
  );
  if (!accepted.ok) throw new Error(`could not make the delegation active: ${JSON.stringify(accepted)}`);
  return id;
}
