// Staff themselves: signing in (password plus authenticator app, or a
// passkey), setting up from an invitation link, re-authenticating, passkeys,
// and (operators) inviting staff and changing roles.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { normaliseEmail } from '../../domain/contact-details.js';
import { PASSWORD_MESSAGES } from '../../domain/password-policy.js';
import {
  authenticatorUri,
  checkAuthenticatorCode,
  newAuthenticatorSecret,
} from '../../journeys/authenticator-app.js';
import { decoyHash, hashPassword, passwordMatches } from '../../journeys/passwords.js';
import type { StaffMember } from '../../store/schema.js';
import { SIGN_IN_PATH, fields, type BackofficeKit, type Fields } from '../kit.js';
import {
  passkeyRegistrationOptions,
  passkeySignInOptions,
  listPasskeys,
  passkeyReauthOptions,
  removePasskey,
  verifyPasskeyReauth,
  verifyPasskeyRegistration,
  verifyPasskeySignIn,
} from '../passkeys.js';
import { organisationFilter, seesOrganisation, worksAcrossOrganisations } from '../organisation.js';
import {
  HOME_LINKS,
  ODS_CODE,
  ROLES,
  ROLE_TEXT,
  allowed,
  isRole,
  routeEntry,
  type BackofficeRouteKey,
} from '../roles.js';
import { endSessionsOf } from '../session.js';
import {
  completeSetup,
  findStaffByEmail,
  findStaffById,
  inviteStaff,
  listStaff,
  openInvitation,
  setPendingSecret,
  setStaffAccess,
  setupLink,
} from '../staff.js';

const WRONG_CREDENTIALS = 'The email address, password or security code is not correct';

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** Only back-office paths of this site, for the return after re-authenticating. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/backoffice(\/[A-Za-z0-9/_-]*)?$/.test(value)
    ? value
    : '/backoffice';
}

/** The `response` of a JSON body, when it looks like a WebAuthn credential. */
function credentialIn(request: FastifyRequest): unknown {
  const body = request.body as { response?: unknown } | undefined;
  const response = body?.response;
  return response && typeof response === 'object' && typeof (response as { id?: unknown }).id === 'string'
    ? response
    : undefined;
}

export function registerStaffRoutes(kit: BackofficeKit): void {
  const { deps, sessions, route, staffOf, page } = kit;

  /**
   * Password and authenticator code for one staff member, within the limit
   * on wrong attempts (per email, `staff:` prefix, and per IP). Wrong
   * passwords and wrong codes count alike and answer alike.
   */
  async function checkCredentials(
    request: FastifyRequest,
    email: string,
    password: string,
    code: string,
    purpose: string,
  ): Promise<{ staff: StaffMember } | { error: string; status: number }> {
    const key = `staff:${email.trim().toLowerCase()}`;
    const ipLimit = await deps.limits.check('passwordAttemptsPerIp', request.ip);
    const limit = await deps.limits.check('passwordFailuresPerAccount', key);
    const locked = (seconds: number) => ({
      error: `You have entered the wrong details too many times. Try again in ${minutes(seconds)}`,
      status: 429,
    });
    if (!ipLimit.allowed || !limit.allowed) {
      return locked(Math.max(ipLimit.retryAfterSeconds, limit.retryAfterSeconds));
    }
    await deps.limits.hit('passwordAttemptsPerIp', request.ip);
    const staff = await findStaffByEmail(deps.db, email);
    const active = staff?.status === 'active' && staff.password_hash && staff.totp_secret ? staff : undefined;
    const passwordOk = active?.password_hash
      ? await passwordMatches(active.password_hash, password)
      : (await passwordMatches(await decoyHash(), password)) && false;
    let codeOk = false;
    if (active && passwordOk && active.totp_secret) {
      const step = checkAuthenticatorCode(deps.sealer.open(active.totp_secret), code, active.totp_last_step);
      codeOk =
        step !== undefined &&
        (
          await deps.db
            .updateTable('staff_members')
            .set({ totp_last_step: step })
            .where('id', '=', active.id)
            .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
            .executeTakeFirst()
        ).numUpdatedRows > 0n;
    }
    if (!active || !passwordOk || !codeOk) {
      const failures = await deps.limits.hit('passwordFailuresPerAccount', key);
      await deps.audit.record({
        code: AUDIT_EVENTS.STAFF_SIGN_IN_FAILED,
        ip: request.ip,
        details: { staffId: staff?.id, purpose, factor: passwordOk ? 'app' : 'password' },
      });
      if (failures.retryAfterSeconds > 0) return locked(failures.retryAfterSeconds);
      return { error: WRONG_CREDENTIALS, status: 400 };
    }
    await deps.limits.reset('passwordFailuresPerAccount', key);
    return { staff: active };
  }

  // Signing in.

  route('GET /backoffice/sign-in', async (request, reply) => {
    const setUp = (request.query as { done?: unknown }).done === 'setup';
    return page(reply, 'sign-in', {
      pageTitle: 'Sign in to the back office',
      setUp,
      values: {},
    });
  });

  route('POST /backoffice/sign-in', async (request, reply) => {
    const f = fields(request);
    const values = { email: f.email ?? '' };
    const errors: Fields = {};
    if (!f.email?.trim()) errors.email = 'Enter your email address';
    if (!f.password) errors.password = 'Enter your password';
    if (!f.code?.trim()) errors.code = 'Enter the security code from your authenticator app';
    if (Object.keys(errors).length) {
      return reply
        .code(400)
        .send(page(reply, 'sign-in', { pageTitle: 'Sign in to the back office', errors, values }));
    }
    const result = await checkCredentials(request, f.email ?? '', f.password ?? '', f.code ?? '', 'sign-in');
    if ('error' in result) {
      return reply.code(result.status).send(
        page(reply, 'sign-in', {
          pageTitle: 'Sign in to the back office',
          errors: { email: result.error },
          values,
        }),
      );
    }
    await sessions.start(reply, result.staff.id);
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_SIGNED_IN,
      ip: request.ip,
      details: { staffId: result.staff.id, role: result.staff.role, method: 'password-app' },
    });
    return reply.redirect('/backoffice', 303);
  });

  // Passkeys.

  route('GET /backoffice/passkey/options', async (request, reply) => {
    // Anyone may ask, and each answer stores a challenge: limit how often.
    const limit = await deps.limits.hit('passkeyOptionsPerIp', request.ip);
    if (!limit.allowed) {
      return reply
        .code(429)
        .header('retry-after', String(limit.retryAfterSeconds))
        .send({ error: 'too_many_requests' });
    }
    return reply.header('cache-control', 'no-store').send(await passkeySignInOptions(deps));
  });

  route('POST /backoffice/passkey/sign-in', async (request, reply) => {
    const ipLimit = await deps.limits.check('passwordAttemptsPerIp', request.ip);
    if (!ipLimit.allowed) return reply.code(429).send({ error: 'too_many_attempts' });
    await deps.limits.hit('passwordAttemptsPerIp', request.ip);
    const response = credentialIn(request);
    const staff = response
      ? await verifyPasskeySignIn(deps, response as AuthenticationResponseJSON)
      : undefined;
    if (!staff) {
      await deps.audit.record({
        code: AUDIT_EVENTS.STAFF_SIGN_IN_FAILED,
        ip: request.ip,
        details: { factor: 'passkey', purpose: 'sign-in' },
      });
      return reply.code(400).send({ error: 'passkey_not_accepted' });
    }
    await sessions.start(reply, staff.id);
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_SIGNED_IN,
      ip: request.ip,
      details: { staffId: staff.id, role: staff.role, method: 'passkey' },
    });
    return reply.send({ redirect: '/backoffice' });
  });

  route('GET /backoffice/passkeys', async (request, reply) => {
    const { staff } = staffOf(request);
    const passkeys = await listPasskeys(deps.db, staff.id);
    return page(reply, 'passkeys', {
      pageTitle: 'Your passkeys',
      passkeys: passkeys.map((p) => ({ ...p, added: p.created_at.toISOString().slice(0, 10) })),
      removed: (request.query as { removed?: unknown }).removed === '1',
    });
  });

  route('POST /backoffice/passkeys/remove', async (request, reply) => {
    const { staff } = staffOf(request);
    const id = fields(request).id ?? '';
    if (!id || id.includes('\u0000') || !(await removePasskey(deps.db, staff.id, id))) {
      const passkeys = await listPasskeys(deps.db, staff.id);
      return kit.send(reply, 400, 'passkeys', {
        pageTitle: 'Your passkeys',
        passkeys: passkeys.map((p) => ({ ...p, added: p.created_at.toISOString().slice(0, 10) })),
        errors: { passkeys: 'Choose one of your passkeys to remove' },
      });
    }
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_PASSKEY_REMOVED,
      ip: request.ip,
      details: { staffId: staff.id },
    });
    return reply.redirect('/backoffice/passkeys?removed=1', 303);
  });

  route('GET /backoffice/passkeys/options', async (request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .send(await passkeyRegistrationOptions(deps, staffOf(request).staff)),
  );

  route('POST /backoffice/passkeys', async (request, reply) => {
    const { staff } = staffOf(request);
    const response = credentialIn(request);
    const ok = response
      ? await verifyPasskeyRegistration(deps, staff, response as RegistrationResponseJSON)
      : false;
    if (!ok) return reply.code(400).send({ error: 'passkey_not_accepted' });
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_PASSKEY_REGISTERED,
      ip: request.ip,
      details: { staffId: staff.id },
    });
    return reply.send({ redirect: '/backoffice/passkeys' });
  });

  // Setting up from an invitation link.

  const linkGone = (reply: FastifyReply) =>
    reply.code(410).send(page(reply, 'link-expired', { pageTitle: 'This link has expired or been used' }));

  async function setupPage(reply: FastifyReply, token: string, errors: Fields = {}, status = 200) {
    const invitation = await openInvitation(deps.db, token);
    if (!invitation) return linkGone(reply);
    let secret: string;
    if (invitation.pendingTotpSecret) secret = deps.sealer.open(invitation.pendingTotpSecret);
    else {
      secret = newAuthenticatorSecret();
      await setPendingSecret(deps.db, invitation.tokenHash, deps.sealer.seal(secret));
    }
    return reply.code(status).send(
      page(reply, 'setup', {
        pageTitle: 'Set up your back-office account',
        staff: invitation.staff,
        roleName: ROLE_TEXT[invitation.staff.role].name,
        token,
        key: secret.match(/.{1,4}/g)?.join(' ') ?? secret,
        uri: authenticatorUri(secret, invitation.staff.email, 'NHS login back office'),
        errors,
      }),
    );
  }

  route('GET /backoffice/setup/:token', async (request, reply) => {
    return setupPage(reply, (request.params as { token: string }).token);
  });

  route('POST /backoffice/setup/:token', async (request, reply) => {
    const { token } = request.params as { token: string };
    const invitation = await openInvitation(deps.db, token);
    if (!invitation?.pendingTotpSecret) return linkGone(reply);
    const f = fields(request);
    const errors: Fields = {};
    const password = f.password ?? '';
    const policy = deps.passwords.check(password, { email: invitation.staff.email });
    if (!policy.ok) errors.password = PASSWORD_MESSAGES[policy.error];
    else if (password !== f.confirm)
      errors.confirm = 'The passwords do not match. Enter the same password twice';
    const limitKey = `staff-setup:${invitation.staff.id}`;
    if (!(await deps.limits.check('codeFailuresPerSubject', limitKey)).allowed) {
      return reply.code(429).send(page(reply, 'link-expired', { pageTitle: 'Too many wrong codes' }));
    }
    const secret = deps.sealer.open(invitation.pendingTotpSecret);
    const step = checkAuthenticatorCode(secret, f.code ?? '', null);
    if (step === undefined) {
      await deps.limits.hit('codeFailuresPerSubject', limitKey);
      errors.code = 'The security code is not correct. Enter the code your authenticator app shows now';
    }
    if (Object.keys(errors).length || step === undefined) return setupPage(reply, token, errors, 400);
    const done = await completeSetup(deps.db, invitation, {
      passwordHash: await hashPassword(password),
      sealedTotpSecret: deps.sealer.seal(secret),
      totpStep: step,
    });
    if (!done) return linkGone(reply);
    await deps.limits.reset('codeFailuresPerSubject', limitKey);
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_SET_UP,
      ip: request.ip,
      details: { staffId: invitation.staff.id, role: invitation.staff.role },
    });
    return reply.redirect(`${SIGN_IN_PATH}?done=setup`, 303);
  });

  route('GET /backoffice/signed-out', async (_request, reply) =>
    page(reply, 'signed-out', { pageTitle: 'You have signed out' }),
  );

  // Signed in.

  route('GET /backoffice', async (request, reply) => {
    const { staff } = staffOf(request);
    const links = HOME_LINKS.filter((l) => allowed(routeEntry(l.route as BackofficeRouteKey), staff.role));
    return page(reply, 'home', {
      pageTitle: 'Back office',
      staff,
      role: ROLE_TEXT[staff.role],
      links,
    });
  });

  route('GET /backoffice/reauthenticate', async (request, reply) => {
    const { staff } = staffOf(request);
    const next = safeNext((request.query as { next?: unknown }).next);
    const hasPasskeys = (await listPasskeys(deps.db, staff.id)).length > 0;
    return page(reply, 'reauthenticate', { pageTitle: 'Confirm it is you', staff, next, hasPasskeys });
  });

  route('POST /backoffice/reauthenticate', async (request, reply) => {
    const session = staffOf(request);
    const f = fields(request);
    const next = safeNext(f.next);
    const result = await checkCredentials(
      request,
      session.staff.email,
      f.password ?? '',
      f.code ?? '',
      'reauthenticate',
    );
    if ('error' in result) {
      return reply.code(result.status).send(
        page(reply, 'reauthenticate', {
          pageTitle: 'Confirm it is you',
          staff: session.staff,
          next,
          hasPasskeys: (await listPasskeys(deps.db, session.staff.id)).length > 0,
          errors: { password: result.error },
        }),
      );
    }
    await sessions.reauthenticated(session);
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_REAUTHENTICATED,
      ip: request.ip,
      details: { staffId: session.staff.id, method: 'password-app' },
    });
    return reply.redirect(next, 303);
  });

  route('GET /backoffice/reauthenticate/passkey-options', async (request, reply) =>
    reply.header('cache-control', 'no-store').send(await passkeyReauthOptions(deps, staffOf(request).staff)),
  );

  route('POST /backoffice/reauthenticate/passkey', async (request, reply) => {
    const session = staffOf(request);
    const response = credentialIn(request);
    const ok = response
      ? await verifyPasskeyReauth(deps, session.staff, response as AuthenticationResponseJSON)
      : false;
    if (!ok) {
      await deps.audit.record({
        code: AUDIT_EVENTS.STAFF_SIGN_IN_FAILED,
        ip: request.ip,
        details: { staffId: session.staff.id, factor: 'passkey', purpose: 'reauthenticate' },
      });
      return reply.code(400).send({ error: 'passkey_not_accepted' });
    }
    await sessions.reauthenticated(session);
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_REAUTHENTICATED,
      ip: request.ip,
      details: { staffId: session.staff.id, method: 'passkey' },
    });
    const next = safeNext((request.body as { next?: unknown } | undefined)?.next);
    return reply.send({ redirect: next });
  });

  route('POST /backoffice/sign-out', async (request, reply) => {
    const { staff } = staffOf(request);
    await sessions.end(request, reply);
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_SIGNED_OUT,
      ip: request.ip,
      details: { staffId: staff.id },
    });
    return reply.redirect('/backoffice/signed-out', 303);
  });

  // Staff (operators).

  route('GET /backoffice/staff', async (request, reply) => {
    const { staff } = staffOf(request);
    const members = (await listStaff(deps.db, organisationFilter(staff))).map((m) => ({
      ...m,
      roleName: ROLE_TEXT[m.role].name,
      self: m.id === staff.id,
    }));
    return page(reply, 'staff', { pageTitle: 'Staff', members });
  });

  const roleItems = (checked?: string) =>
    ROLES.map((r) => ({
      value: r,
      text: ROLE_TEXT[r].name,
      hint: { text: ROLE_TEXT[r].can },
      checked: r === checked,
    }));

  route('GET /backoffice/staff/invite', async (request, reply) => {
    const { staff } = staffOf(request);
    const odsCode = worksAcrossOrganisations(staff) ? '' : staff.ods_code;
    return page(reply, 'invite', {
      pageTitle: 'Invite a member of staff',
      values: { odsCode },
      roles: roleItems(),
    });
  });

  route('POST /backoffice/staff/invite', async (request, reply) => {
    const { staff: me } = staffOf(request);
    const f = fields(request);
    const values = { name: f.name ?? '', email: f.email ?? '', odsCode: f.odsCode ?? '' };
    const errors: Fields = {};
    const name = values.name.trim();
    if (!name) errors.name = 'Enter their full name';
    else if (name.length > 100) errors.name = 'Full name must be 100 characters or fewer';
    const email = normaliseEmail(values.email);
    if (!email.ok) errors.email = 'Enter an email address in the correct format, like name@example.com';
    const odsCode = values.odsCode.trim().toUpperCase();
    if (!ODS_CODE.test(odsCode))
      errors.odsCode = 'Enter an ODS code of 3 to 6 letters and numbers, like A81001';
    else if (!seesOrganisation(me, odsCode))
      errors.odsCode = `You can only invite staff of your own organisation (${me.ods_code})`;
    if (!isRole(f.role)) errors.role = 'Select a role';
    const again = (status: number) =>
      reply.code(status).send(
        page(reply, 'invite', {
          pageTitle: 'Invite a member of staff',
          values,
          errors,
          roles: roleItems(f.role),
        }),
      );
    if (Object.keys(errors).length || !email.ok || !isRole(f.role)) return again(400);
    const role = f.role;
    const result = await inviteStaff(deps.db, { email: email.value, name, odsCode, role, invitedBy: me.id });
    if (!result.ok) {
      errors.email = 'A member of staff already uses this email address';
      return again(400);
    }
    await deps.notifier.send({
      type: 'staff-invitation',
      to: result.staff.email,
      name: result.staff.name,
      link: setupLink(deps.issuer, result.token),
      role: ROLE_TEXT[role].name,
    });
    await deps.audit.record({
      code: AUDIT_EVENTS.STAFF_INVITED,
      ip: request.ip,
      details: { staffId: me.id, invitedId: result.staff.id, role, odsCode },
    });
    return reply.redirect('/backoffice/staff', 303);
  });

  /** The member whose role or access is to change: in the operator's view, never the one signed in. */
  async function roleTarget(request: FastifyRequest, reply: FastifyReply) {
    const { staff: me } = staffOf(request);
    const id = (request.params as { id: string }).id;
    const found = id.includes('\u0000') ? undefined : await findStaffById(deps.db, id);
    const target = found && seesOrganisation(me, found.ods_code) ? found : undefined;
    if (!target) {
      void reply.code(404).send(page(reply, 'not-found', { pageTitle: 'Page not found' }));
      return undefined;
    }
    if (target.id === me.id) {
      void reply
        .code(403)
        .send(
          page(reply, 'forbidden', { pageTitle: 'You cannot change your own role or access', own: true }),
        );
      return undefined;
    }
    return target;
  }

  route('GET /backoffice/staff/:id/role', async (request, reply) => {
    const target = await roleTarget(request, reply);
    if (!target) return reply;
    return page(reply, 'role', {
      pageTitle: `Change role for ${target.name}`,
      target,
      roles: roleItems(target.role),
    });
  });

  route('POST /backoffice/staff/:id/role', async (request, reply) => {
    const { staff: me } = staffOf(request);
    const target = await roleTarget(request, reply);
    if (!target) return reply;
    const role = fields(request).role;
    if (!isRole(role)) {
      return reply.code(400).send(
        page(reply, 'role', {
          pageTitle: `Change role for ${target.name}`,
          target,
          roles: roleItems(target.role),
          errors: { role: 'Select a role' },
        }),
      );
    }
    if (role !== target.role) {
      await deps.db
        .updateTable('staff_members')
        .set({ role, updated_at: new Date() })
        .where('id', '=', target.id)
        .execute();
      // Their new rights (or fewer) start from their next sign-in.
      await endSessionsOf(deps.db, target.id);
      await deps.audit.record({
        code: AUDIT_EVENTS.STAFF_ROLE_CHANGED,
        ip: request.ip,
        details: { staffId: me.id, changedId: target.id, from: target.role, to: role },
      });
    }
    return reply.redirect('/backoffice/staff', 303);
  });

  // Disabling a member of staff, and giving access back.

  const accessPage = (target: StaffMember, extra: Record<string, unknown> = {}) => ({
    pageTitle: target.status === 'disabled' ? `Give access back to ${target.name}` : `Disable ${target.name}`,
    target,
    disabling: target.status !== 'disabled',
    values: {},
    ...extra,
  });

  route('GET /backoffice/staff/:id/access', async (request, reply) => {
    const target = await roleTarget(request, reply);
    if (!target) return reply;
    return page(reply, 'access', accessPage(target));
  });

  route('POST /backoffice/staff/:id/access', async (request, reply) => {
    const { staff: me } = staffOf(request);
    const target = await roleTarget(request, reply);
    if (!target) return reply;
    const reason = (fields(request).reason ?? '').trim();
    const error = !reason
      ? 'Enter the reason'
      : reason.length > 500
        ? 'The reason must be 500 characters or fewer'
        : undefined;
    if (error) {
      return kit.send(
        reply,
        400,
        'access',
        accessPage(target, { errors: { reason: error }, values: { reason } }),
      );
    }
    const disabling = target.status !== 'disabled';
    await setStaffAccess(deps.db, target, disabling ? 'disable' : 'enable');
    await deps.audit.record({
      code: disabling ? AUDIT_EVENTS.STAFF_DISABLED : AUDIT_EVENTS.STAFF_ENABLED,
      ip: request.ip,
      details: { staffId: me.id, changedId: target.id, reason },
    });
    return reply.redirect('/backoffice/staff', 303);
  });
}
