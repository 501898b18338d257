// Hands the provider's own endpoints to oidc-provider untouched: the request
// body stream is left unread (oidc-provider parses it itself) and the reply
// is hijacked so the provider writes it. The provider can be swapped at run
// time (signing key rotation builds a new one) without re-registering routes.
import type { FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';

export const PROVIDER_ROUTES = [
  '/.well-known/openid-configuration',
  '/.well-known/jwks.json',
  '/authorize',
  '/authorize/:uid',
  '/token',
  '/logout',
  '/logout/confirm',
  '/logout/success',
];

export interface ProviderHandle {
  current(): Provider;
  replace(next: Provider): void;
}

export function providerHandle(initial: Provider): ProviderHandle {
  let provider = initial;
  let callback = provider.callback();
  return {
    current: () => provider,
    replace(next) {
      provider = next;
      callback = next.callback();
    },
    // The callback is rebuilt with the provider, so read it at request time.
    get callback() {
      return callback;
    },
  } as ProviderHandle & { callback: ReturnType<Provider['callback']> };
}

export async function mountProvider(app: FastifyInstance, handle: ProviderHandle, options: { https: boolean }): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const url of PROVIDER_ROUTES) {
      scope.route({
        method: ['GET', 'POST'],
        url,
        handler(request, reply) {
          // oidc-provider decides Secure cookies and URLs from the forwarded
          // protocol; behind our own listener the issuer's scheme is the truth.
          request.raw.headers['x-forwarded-proto'] = options.https ? 'https' : 'http';
          reply.hijack();
          const cb = (handle as unknown as { callback: ReturnType<Provider['callback']> }).callback;
          void cb(request.raw, reply.raw);
        },
      });
    }
  });
}
