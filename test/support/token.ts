// Token endpoint calls as a supplier makes them (form-encoded, private_key_jwt).
import type { FastifyInstance } from 'fastify';
import { clientAssertion, type TestSupplier } from './supplier.js';

export const TOKEN_URL = 'http://localhost:3000/token';
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export async function tokenRequest(
  app: FastifyInstance,
  fields: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  const res = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>(), headers: res.headers };
}

export async function exchangeCode(
  app: FastifyInstance,
  supplier: TestSupplier,
  code: string,
  extra: Record<string, string> = {},
  assertion?: string,
) {
  return tokenRequest(app, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: supplier.redirectUri,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion ?? (await clientAssertion(supplier, TOKEN_URL)),
    ...extra,
  });
}

export function decodeJwt(jwt: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>,
  };
}
