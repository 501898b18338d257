// Finding a patient by email address, mobile phone number or NHS number,
// within what the staff member's organisation allows. Every search is
// audited (the kind of search and a keyed hash of what was searched for,
// never the value itself) and limited per staff member.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import {
  EMAIL_MESSAGES,
  maskPhone,
  normaliseEmail,
  normaliseUkMobile,
} from '../../domain/contact-details.js';
import { maskNhsNumber, normaliseNhsNumber } from '../../domain/nhs-number.js';
import type { Account } from '../../store/accounts.js';
import { findAccountsForSupport, type SupportSearch } from '../../store/support.js';
import { fields, type BackofficeKit, type Fields } from '../kit.js';
import { gpScopeOf, isOwnAccount } from './access.js';
import { keep, noStore } from './form.js';
import { accountState } from './patient.js';

export type SearchKind = SupportSearch['by'];

const KINDS: { value: SearchKind; text: string; empty: string }[] = [
  { value: 'email', text: 'Email address', empty: 'Enter an email address' },
  { value: 'phone', text: 'Mobile phone number', empty: 'Enter a mobile phone number' },
  { value: 'nhs-number', text: 'NHS number', empty: 'Enter an NHS number' },
];

const isKind = (v: unknown): v is SearchKind => KINDS.some((k) => k.value === v);

/** Longest value worth normalising: no email, phone or NHS number is longer. */
const MAX_VALUE = 320;

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** The search the form asks for, normalised; or the errors to show. */
export function parseSearch(
  f: Fields,
  lookupHash: (value: string) => string,
): { ok: true; search: SupportSearch; normalised: string } | { ok: false; errors: Fields } {
  if (!isKind(f.by)) return { ok: false, errors: { by: 'Select what to search by' } };
  const value = (f.q ?? '').slice(0, MAX_VALUE + 1);
  if (!value.trim()) return { ok: false, errors: { q: KINDS.find((k) => k.value === f.by)!.empty } };
  if (value.length > MAX_VALUE) return { ok: false, errors: { q: 'What you entered is too long' } };
  if (f.by === 'email') {
    const email = normaliseEmail(value);
    if (!email.ok)
      return { ok: false, errors: { q: EMAIL_MESSAGES[email.error === 'empty' ? 'invalid' : email.error] } };
    return { ok: true, search: { by: 'email', email: email.value }, normalised: email.value };
  }
  if (f.by === 'phone') {
    const phone = normaliseUkMobile(value);
    if (!phone.ok) return { ok: false, errors: { q: 'Enter a UK mobile phone number, like 07700 900 982' } };
    return { ok: true, search: { by: 'phone', phone: phone.value }, normalised: phone.value };
  }
  const nhsNumber = normaliseNhsNumber(value);
  if (!nhsNumber)
    return { ok: false, errors: { q: 'Enter a valid NHS number. It is 10 digits, like 485 777 3456' } };
  return {
    ok: true,
    search: { by: 'nhs-number', nhsNumberHash: lookupHash(nhsNumber) },
    normalised: nhsNumber,
  };
}

export function registerSearchRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, send } = kit;

  const kindItems = (checked?: string) =>
    KINDS.map((k) => ({ value: k.value, text: k.text, checked: k.value === checked }));

  const searchPage = (
    reply: FastifyReply,
    status: number,
    context: { values: Fields; errors?: Fields; results?: unknown[]; searched?: boolean; scope?: string },
  ) =>
    send(noStore(reply), status, 'support/search', {
      pageTitle: 'Find a patient',
      kinds: kindItems(context.values.by),
      ...context,
    });

  function resultRow(request: FastifyRequest, a: Account) {
    const { staff } = staffOf(request);
    return {
      id: a.id,
      name: [a.given_name, a.family_name].filter(Boolean).join(' ') || 'Name not known',
      email: a.email,
      phone: maskPhone(a.phone_number),
      nhsNumber: a.nhs_number ? maskNhsNumber(deps.sealer.open(a.nhs_number)) : 'Not given',
      level: a.proofing_level,
      gp: a.gp_ods_code ?? 'Not known',
      state: accountState(a).summary,
      own: isOwnAccount(staff, a),
    };
  }

  route('GET /backoffice/support', async (request, reply) => {
    const { staff } = staffOf(request);
    return searchPage(reply, 200, { values: { by: 'email', q: '' }, scope: gpScopeOf(staff) });
  });

  route('POST /backoffice/support', async (request, reply) => {
    const { staff } = staffOf(request);
    const f = fields(request);
    const values = keep(f, ['by', 'q']);
    const scope = gpScopeOf(staff);
    const parsed = parseSearch(f, (v) => deps.sealer.lookupHash(v));
    if (!parsed.ok) return searchPage(reply, 400, { values, errors: parsed.errors, scope });

    const limited = await deps.limits.check('staffSearchesPerStaff', staff.id);
    if (!limited.allowed) {
      await deps.audit.record({
        code: AUDIT_EVENTS.SUPPORT_SEARCH_LIMITED,
        ip: request.ip,
        details: { staffId: staff.id, by: parsed.search.by, retryAfterSeconds: limited.retryAfterSeconds },
      });
      void reply.header('retry-after', String(limited.retryAfterSeconds));
      return searchPage(reply, 429, {
        values,
        scope,
        errors: {
          q: `You have searched too many times. Wait ${minutes(limited.retryAfterSeconds)} and then try again`,
        },
      });
    }
    await deps.limits.hit('staffSearchesPerStaff', staff.id);

    const accounts = await findAccountsForSupport(deps.db, parsed.search, { gpOdsCode: scope });
    await deps.audit.record({
      code: AUDIT_EVENTS.SUPPORT_SEARCHED,
      ip: request.ip,
      details: {
        staffId: staff.id,
        by: parsed.search.by,
        // Keyed, so only the service can tell which value was searched for (and only by trying it).
        valueHash: deps.sealer.lookupHash(`support-search:${parsed.search.by}:${parsed.normalised}`),
        results: accounts.length,
        accountIds: accounts.map((a) => a.id),
        ...(scope ? { gpOdsCode: scope } : {}),
      },
    });
    return searchPage(reply, 200, {
      values,
      scope,
      searched: true,
      results: accounts.map((a) => resultRow(request, a)),
    });
  });
}
