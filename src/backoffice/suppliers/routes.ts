// The suppliers pages of the back office (operators): the list, a supplier's
// page (its configuration, recent sign-ins and errors, and the openid-client
// snippet for its developers), registering and changing one (every setting
// the CLI has), and suspending, resuming and removing one. Every change is
// audited with the staff member's id and what changed; the provider reads
// suppliers on every request, so a change applies at once.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { MAX_SUSPENSION_REASON, looksLikeClientId } from '../../domain/supplier-registration.js';
import { keyThumbprints, openidClientSnippet } from '../../oidc/clients.js';
import type { Supplier } from '../../store/schema.js';
import {
  describeChange,
  describeRegistration,
  findSupplier,
  listSuppliers,
  removeSupplier,
  saveSupplier,
  setSupplierSuspension,
} from '../../store/suppliers.js';
import { fields, type BackofficeKit, type Fields } from '../kit.js';
import { findStaffById } from '../staff.js';
import { supplierActivity } from './activity.js';
import {
  checkSupplierForm,
  formItems,
  newSupplierValues,
  submittedValues,
  supplierValues,
  type FormMode,
  type SupplierFormValues,
} from './form.js';

const BASE = '/backoffice/suppliers';
const supplierPath = (clientId: string) => `${BASE}/${encodeURIComponent(clientId)}`;

/** The banners a supplier's page shows after a change (?done=...). */
const DONE: Record<string, string> = {
  registered: 'Supplier registered. It can sign people in now.',
  changed: 'Changes saved. They apply to the supplier’s next request.',
  unchanged: 'Nothing changed: the supplier already had those settings.',
  suspended: 'Supplier suspended. It gets invalid_client until it is resumed.',
  resumed: 'Supplier resumed. It can sign people in again.',
  removed: 'Supplier removed, with its grants, codes and tokens.',
};

function when(date: Date | string): string {
  return `${new Date(date).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function registerSupplierRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, page, send, notFound } = kit;

  /** The supplier named by :clientId, or a 404 page (answered) and undefined. */
  async function supplierFor(request: FastifyRequest, reply: FastifyReply): Promise<Supplier | undefined> {
    const { clientId } = request.params as { clientId: string };
    const supplier = looksLikeClientId(clientId) ? await findSupplier(deps.db, clientId) : undefined;
    if (!supplier) void notFound(reply);
    return supplier;
  }

  /** Who recorded something: a staff member's name, or the CLI operator's user name. */
  async function who(by: string): Promise<string> {
    if (by.startsWith('cli:')) return `${by.slice(4)} (command line)`;
    const staff = await findStaffById(deps.db, by);
    return staff ? `${staff.name} (${staff.email})` : by;
  }

  const doneText = (request: FastifyRequest) => {
    const done = (request.query as { done?: unknown }).done;
    return typeof done === 'string' ? DONE[done] : undefined;
  };

  // The list.

  route('GET /backoffice/suppliers', async (request, reply) => {
    const suppliers = (await listSuppliers(deps.db)).map((s) => ({
      clientId: s.client_id,
      href: supplierPath(s.client_id),
      name: s.name,
      sandpit: s.metadata.sandpit === true,
      suspended: Boolean(s.metadata.suspended),
    }));
    return page(reply, 'suppliers/list', { pageTitle: 'Suppliers', suppliers, done: doneText(request) });
  });

  // Registering and changing: one form.

  async function formPage(
    reply: FastifyReply,
    status: number,
    mode: FormMode,
    values: SupplierFormValues,
    errors: Fields = {},
    supplier?: Supplier,
  ) {
    const approval = supplier?.metadata.gp_integration_approval;
    return send(reply, status, 'suppliers/form', {
      pageTitle: supplier ? `Change ${supplier.name}` : 'Register a supplier',
      mode,
      values,
      errors,
      items: formItems(values, mode),
      action: supplier ? `${supplierPath(supplier.client_id)}/change` : `${BASE}/new`,
      backLinkHref: supplier ? supplierPath(supplier.client_id) : BASE,
      supplier,
      keysNow: supplier ? await keysText(supplier) : undefined,
      approval: approval ? { ...approval, by: await who(approval.by), at: when(approval.at) } : undefined,
      hasGpScope: supplier?.metadata.scope.split(' ').includes('gp_integration_credentials') ?? false,
    });
  }

  route('GET /backoffice/suppliers/new', async (_request, reply) =>
    formPage(reply, 200, 'new', newSupplierValues()),
  );

  route('POST /backoffice/suppliers/new', async (request, reply) => {
    const { staff } = staffOf(request);
    const values = submittedValues(request, 'new');
    const result = await checkSupplierForm(values, { db: deps.db, mode: 'new', staffId: staff.id });
    if (!result.ok) return formPage(reply, 400, 'new', result.values, result.errors);
    const saved = await saveSupplier(deps.db, result.input, { create: true });
    if (!saved.ok) {
      return formPage(reply, 400, 'new', values, {
        clientId: `A supplier with client ID ${values.clientId} already exists`,
      });
    }
    await deps.audit.record({
      code: AUDIT_EVENTS.SUPPLIER_REGISTERED,
      clientId: saved.value.client_id,
      ip: request.ip,
      details: { staffId: staff.id, ...(await describeRegistration(saved.value)) },
    });
    return reply.redirect(`${supplierPath(saved.value.client_id)}?done=registered`, 303);
  });

  route('GET /backoffice/suppliers/:clientId/change', async (request, reply) => {
    const supplier = await supplierFor(request, reply);
    if (!supplier) return reply;
    return formPage(reply, 200, 'change', supplierValues(supplier), {}, supplier);
  });

  route('POST /backoffice/suppliers/:clientId/change', async (request, reply) => {
    const { staff } = staffOf(request);
    const supplier = await supplierFor(request, reply);
    if (!supplier) return reply;
    const values = submittedValues(request, 'change', supplier.client_id);
    const result = await checkSupplierForm(values, {
      db: deps.db,
      mode: 'change',
      existing: supplier,
      staffId: staff.id,
    });
    if (!result.ok) return formPage(reply, 400, 'change', result.values, result.errors, supplier);
    const saved = await saveSupplier(deps.db, result.input);
    if (!saved.ok) return formPage(reply, 400, 'change', values, { name: saved.error }, supplier);
    const { changed, before, after } = await describeChange(supplier, saved.value);
    if (!changed.length) return reply.redirect(`${supplierPath(supplier.client_id)}?done=unchanged`, 303);
    await deps.audit.record({
      code: AUDIT_EVENTS.SUPPLIER_CHANGED,
      clientId: supplier.client_id,
      ip: request.ip,
      details: { staffId: staff.id, changed, before, after },
    });
    return reply.redirect(`${supplierPath(supplier.client_id)}?done=changed`, 303);
  });

  // A supplier's page.

  async function keysText(s: Supplier): Promise<string[]> {
    if (s.metadata.jwks_uri) return [`Fetched from ${s.metadata.jwks_uri}`];
    return (await keyThumbprints(s)).map((t, i) => {
      const kty = s.metadata.jwks?.keys[i]?.kty;
      return `${kty === 'EC' ? 'EC P-256' : 'RSA'} key, thumbprint ${t}`;
    });
  }

  route('GET /backoffice/suppliers/:clientId', async (request, reply) => {
    const supplier = await supplierFor(request, reply);
    if (!supplier) return reply;
    const m = supplier.metadata;
    const registered = new Set((await listSuppliers(deps.db)).map((s) => s.client_id));
    const approval = m.gp_integration_approval;
    return page(reply, 'suppliers/show', {
      pageTitle: supplier.name,
      backLinkHref: BASE,
      done: doneText(request),
      supplier,
      href: supplierPath(supplier.client_id),
      created: when(supplier.created_at),
      updated: when(supplier.updated_at),
      suspension: m.suspended
        ? { reason: m.suspended.reason, by: await who(m.suspended.by), at: when(m.suspended.at) }
        : undefined,
      scopes: m.scope.split(' '),
      approval: approval
        ? { reference: approval.reference, by: await who(approval.by), at: when(approval.at) }
        : undefined,
      keys: await keysText(supplier),
      partners: m.sso_partners.map((p) => ({
        clientId: p,
        href: registered.has(p) ? supplierPath(p) : undefined,
      })),
      activity: await supplierActivity(deps.db, supplier.client_id).then((a) => ({
        counts: a.counts,
        recentErrors: a.recentErrors.map((e) => ({ ...e, at: when(e.at) })),
      })),
      snippet: openidClientSnippet(supplier, deps.issuer).join('\n'),
    });
  });

  // Suspending and resuming: each with a reason, for the audit log.

  function reasonError(reason: string, action: 'suspend' | 'resume'): string | undefined {
    if (!reason) return `Enter why you are ${action === 'suspend' ? 'suspending' : 'resuming'} this supplier`;
    if (reason.length > MAX_SUSPENSION_REASON)
      return `The reason must be ${MAX_SUSPENSION_REASON} characters or fewer`;
    return undefined;
  }

  for (const action of ['suspend', 'resume'] as const) {
    const template = `suppliers/${action}`;
    const title = (s: Supplier) => `${action === 'suspend' ? 'Suspend' : 'Resume'} ${s.name}`;

    route(`GET /backoffice/suppliers/:clientId/${action}` as const, async (request, reply) => {
      const supplier = await supplierFor(request, reply);
      if (!supplier) return reply;
      return page(reply, template, {
        pageTitle: title(supplier),
        backLinkHref: supplierPath(supplier.client_id),
        supplier,
        href: supplierPath(supplier.client_id),
        suspended: Boolean(supplier.metadata.suspended),
        values: {},
      });
    });

    route(`POST /backoffice/suppliers/:clientId/${action}` as const, async (request, reply) => {
      const { staff } = staffOf(request);
      const supplier = await supplierFor(request, reply);
      if (!supplier) return reply;
      const reason = (fields(request).reason ?? '').trim();
      const suspended = Boolean(supplier.metadata.suspended);
      const error =
        reasonError(reason, action) ??
        (action === 'suspend' && suspended ? 'This supplier is already suspended' : undefined) ??
        (action === 'resume' && !suspended ? 'This supplier is not suspended' : undefined);
      if (error) {
        return send(reply, 400, template, {
          pageTitle: title(supplier),
          backLinkHref: supplierPath(supplier.client_id),
          supplier,
          href: supplierPath(supplier.client_id),
          suspended,
          values: { reason },
          errors: { reason: error },
        });
      }
      const changed = await setSupplierSuspension(
        deps.db,
        supplier.client_id,
        action === 'suspend' ? { reason, by: staff.id, at: new Date().toISOString() } : null,
      );
      if (changed) {
        await deps.audit.record({
          code: action === 'suspend' ? AUDIT_EVENTS.SUPPLIER_SUSPENDED : AUDIT_EVENTS.SUPPLIER_RESUMED,
          clientId: supplier.client_id,
          ip: request.ip,
          details: { staffId: staff.id, reason },
        });
      }
      const done = changed ? (action === 'suspend' ? 'suspended' : 'resumed') : 'unchanged';
      return reply.redirect(`${supplierPath(supplier.client_id)}?done=${done}`, 303);
    });
  }

  // Removing: the operator types the client id to confirm.

  route('GET /backoffice/suppliers/:clientId/remove', async (request, reply) => {
    const supplier = await supplierFor(request, reply);
    if (!supplier) return reply;
    return page(reply, 'suppliers/remove', {
      pageTitle: `Remove ${supplier.name}`,
      backLinkHref: supplierPath(supplier.client_id),
      supplier,
      href: supplierPath(supplier.client_id),
      values: {},
    });
  });

  route('POST /backoffice/suppliers/:clientId/remove', async (request, reply) => {
    const { staff } = staffOf(request);
    const supplier = await supplierFor(request, reply);
    if (!supplier) return reply;
    const confirm = (fields(request).confirmClientId ?? '').trim();
    if (confirm !== supplier.client_id) {
      return send(reply, 400, 'suppliers/remove', {
        pageTitle: `Remove ${supplier.name}`,
        backLinkHref: supplierPath(supplier.client_id),
        supplier,
        href: supplierPath(supplier.client_id),
        values: { confirmClientId: confirm },
        errors: {
          confirmClientId: confirm
            ? `That is not this supplier's client ID. Enter ${supplier.client_id} to remove it`
            : `Enter the client ID, ${supplier.client_id}, to confirm`,
        },
      });
    }
    if (await removeSupplier(deps.db, supplier.client_id)) {
      await deps.audit.record({
        code: AUDIT_EVENTS.SUPPLIER_REMOVED,
        clientId: supplier.client_id,
        ip: request.ip,
        details: { staffId: staff.id, ...(await describeRegistration(supplier)) },
      });
    }
    return reply.redirect(`${BASE}?done=removed`, 303);
  });
}
