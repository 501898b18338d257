// `staff create-operator --email --name [--ods-code]`: the first operator
// (or another), printed a one-time setup link; `staff list`: every member of staff.
import { AUDIT_EVENTS } from '../../audit/events.js';
import { ODS_CODE, OPERATOR_ODS_CODE, ROLE_TEXT } from '../../backoffice/roles.js';
import { inviteStaff, listStaff, setupLink } from '../../backoffice/staff.js';
import { normaliseEmail } from '../../domain/contact-details.js';
import { CommandFailed, UsageError, command, parseFlags, str } from '../args.js';
import { DEFAULT_ISSUER, EXIT_OK, operatorName } from '../context.js';
import { table } from '../table.js';

export const staffCreateOperator = command(async (ctx, args) => {
  const p = parseFlags(
    args,
    { email: { type: 'string' }, name: { type: 'string' }, 'ods-code': { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  const email = normaliseEmail(str(p, 'email') ?? '');
  if (!email.ok) throw new UsageError('--email must be an email address');
  const name = str(p, 'name')?.trim();
  if (!name) throw new UsageError('--name is required');
  const odsCode = (str(p, 'ods-code') ?? OPERATOR_ODS_CODE).toUpperCase();
  if (!ODS_CODE.test(odsCode)) throw new UsageError('--ods-code must be 3 to 6 letters and numbers');
  const result = await inviteStaff(ctx.db, {
    email: email.value,
    name,
    odsCode,
    role: 'operator',
    invitedBy: null,
  });
  if (!result.ok) throw new CommandFailed(`A member of staff already uses ${email.value}`);
  await ctx.audit.record({
    code: AUDIT_EVENTS.STAFF_INVITED,
    details: { operator: operatorName(ctx), invitedId: result.staff.id, role: 'operator', odsCode },
  });
  ctx.out(`Created operator ${name} <${email.value}> at ${odsCode}.`);
  ctx.out('Give them this one-time setup link (it works once, for 72 hours):');
  ctx.out(setupLink(ctx.issuer ?? DEFAULT_ISSUER, result.token));
  return EXIT_OK;
});

export const staffList = command(async (ctx, args) => {
  parseFlags(args, {}, { min: 0, max: 0, names: '' });
  const rows = (await listStaff(ctx.db)).map((m) => [
    m.email,
    m.name,
    m.ods_code,
    ROLE_TEXT[m.role].name,
    m.status,
  ]);
  for (const line of table(['EMAIL', 'NAME', 'ORGANISATION', 'ROLE', 'STATUS'], rows)) ctx.out(line);
  return EXIT_OK;
});
