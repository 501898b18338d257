// A subject access request: everything NHS login holds about a person, as a
// JSON file to download or a page to read. It asks the reason first; each
// export is audited (B-SAR-EXPORTED) and the patient told. Secrets are never
// in it: the password hash and the authenticator app's key are named, not
// given.
import { AUDIT_EVENTS } from '../../audit/events.js';
import { accountHistory } from '../../audit/history.js';
import { listServicesUsed, type Account } from '../../store/accounts.js';
import { auditEventsOf, heldAboutPerson } from '../../store/support.js';
import { fields, type BackofficeDeps, type BackofficeKit, type Fields } from '../kit.js';
import { patientFor } from './access.js';
import { REASON_MAX_LENGTH, checkReason, keep, noStore, notifyPatient } from './form.js';
import { dateTimeText } from './format.js';

const FORMATS = ['json', 'page'] as const;
type ExportFormat = (typeof FORMATS)[number];
const isFormat = (v: unknown): v is ExportFormat => FORMATS.includes(v as ExportFormat);

/** Six-digit security codes in old messages are taken out: expired, but still secrets. */
const CODE = /(?<!\d)\d{6}(?!\d)/g;

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** Everything held about the person, as one plain object (what the JSON file holds). */
export async function subjectAccessReport(deps: Pick<BackofficeDeps, 'db' | 'sealer'>, account: Account) {
  const [held, services, events, history] = await Promise.all([
    heldAboutPerson(deps.db, account),
    listServicesUsed(deps.db, account.id),
    auditEventsOf(deps.db, account.id),
    accountHistory(deps.db, account.id, { limit: 100 }),
  ]);
  const descriptions = new Map(history.map((h) => [h.id, h.description]));
  const a = account;
  return {
    about: 'Everything NHS login holds about this person, for a subject access request.',
    madeAt: new Date().toISOString(),
    account: {
      id: a.id,
      email: a.email,
      phoneNumber: a.phone_number,
      phoneNumberVerified: a.phone_number_verified,
      phoneNumberMatchedToNhsRecord: a.phone_number_pds_matched,
      landlineNumber: a.landline_number,
      landlineNumberVerified: a.landline_number_verified,
      proofingLevel: a.proofing_level,
      nhsNumber: a.nhs_number ? deps.sealer.open(a.nhs_number) : null,
      givenName: a.given_name,
      familyName: a.family_name,
      birthdate: a.birthdate,
      gpOdsCode: a.gp_ods_code,
      testPerson: a.test_person,
      lockedAt: iso(a.locked_at),
      passwordResetRequired: a.password_reset_required,
      eraseAfter: iso(a.erase_after),
      createdAt: iso(a.created_at),
      updatedAt: iso(a.updated_at),
    },
    secretsNotIncluded: {
      password:
        'A password is set. Only a one-way hash of it is stored, which cannot be turned back into the password; it is not included.',
      authenticatorApp: a.totp_secret
        ? 'An authenticator app is set up. Its secret key is stored encrypted and is not included.'
        : 'No authenticator app is set up.',
    },
    servicesUsed: services.map((s) => ({
      clientId: s.clientId,
      name: s.name,
      firstUsedAt: s.firstUsedAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
    })),
    clientUserMetadata: held.clientUserMetadata.map((m) => ({
      clientId: m.clientId,
      value: m.value,
      updatedAt: m.updatedAt.toISOString(),
    })),
    rememberedDevices: {
      count: held.rememberedDevices.length,
      devices: held.rememberedDevices.map((d) => ({
        rememberedAt: d.createdAt.toISOString(),
        expiresAt: d.expiresAt.toISOString(),
      })),
    },
    signInSessionsAndTokens: held.providerRecords,
    provingWhoTheyAre: held.proofingAttempts.map((p) => ({
      at: new Date(p.created_at).toISOString(),
      route: p.route,
      outcome: p.outcome,
      levelGiven: p.level_given,
      evidence: p.evidence,
    })),
    auditEvents: events.map((e) => ({
      at: e.at.toISOString(),
      code: e.code,
      description: descriptions.get(e.id) ?? null,
      clientId: e.clientId,
      ip: e.ip,
      details: e.details,
    })),
    messagesSent: held.messages.map((m) => ({
      at: m.at.toISOString(),
      channel: m.channel,
      to: m.recipient,
      subject: m.subject,
      body: m.body.replace(CODE, '[security code removed]'),
    })),
    messagesNote:
      'Messages are kept only by the development outbox; in production GOV.UK Notify sends them and keeps its own records.',
  };
}

export type SubjectAccessReport = Awaited<ReturnType<typeof subjectAccessReport>>;

export function registerExportRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, send, page } = kit;

  const formats = (checked?: string) => [
    { value: 'json', text: 'Download a file (JSON)', checked: checked === 'json' },
    { value: 'page', text: 'Show it as a page to read', checked: checked === 'page' },
  ];

  const form = (
    reply: Parameters<typeof send>[0],
    status: number,
    account: Account,
    values: Fields,
    errors?: Fields,
  ) =>
    send(noStore(reply), status, 'support/export', {
      pageTitle: 'Copy everything held about this patient',
      a: account,
      name: [account.given_name, account.family_name].filter(Boolean).join(' ') || account.email,
      reasonMax: REASON_MAX_LENGTH,
      formats: formats(values.format),
      values,
      errors,
    });

  route('GET /backoffice/support/patients/:accountId/export', async (request, reply) => {
    const account = await patientFor(kit, request, reply);
    if (!account) return reply;
    return form(reply, 200, account, { reason: '', format: 'json' });
  });

  route('POST /backoffice/support/patients/:accountId/export', async (request, reply) => {
    const account = await patientFor(kit, request, reply);
    if (!account) return reply;
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['reason', 'format']);
    const errors: Fields = {};
    const reason = checkReason(f.reason);
    if (!reason.ok) errors.reason = reason.error;
    if (!isFormat(f.format)) errors.format = 'Select how you want the copy';
    if (!reason.ok || !isFormat(f.format)) return form(reply, 400, account, values, errors);

    const report = await subjectAccessReport(deps, account);
    await deps.audit.record({
      code: AUDIT_EVENTS.SUBJECT_ACCESS_EXPORTED,
      accountId: account.id,
      ip: request.ip,
      details: { staffId: staff.id, reason: reason.reason, format: f.format },
    });
    await notifyPatient(deps.notifier, request, {
      type: 'email-account-support-action',
      to: account.email,
      action: 'data-exported',
    });

    if (f.format === 'json') {
      return noStore(reply)
        .header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="nhs-login-subject-access-${account.id}.json"`)
        .send(JSON.stringify(report, null, 2));
    }
    return page(noStore(reply), 'support/export-page', {
      pageTitle: 'Everything held about this patient',
      a: account,
      report,
      madeAt: dateTimeText(new Date(report.madeAt)),
      events: report.auditEvents.map((e) => ({
        ...e,
        when: dateTimeText(new Date(e.at)),
        detailsText: Object.keys(e.details).length ? JSON.stringify(e.details) : '',
      })),
      messages: report.messagesSent.map((m) => ({
        ...m,
        when: dateTimeText(new Date(m.at)),
        paragraphs: m.body.split(/\n+/).filter((p) => p.trim()),
      })),
      devices: report.rememberedDevices.devices.map((d) => ({
        remembered: dateTimeText(new Date(d.rememberedAt)),
        expires: dateTimeText(new Date(d.expiresAt)),
      })),
    });
  });
}
