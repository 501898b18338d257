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

export async function mountProvider(
  app: FastifyInstance,
  handle: ProviderHandle,
  options: { issuer: string },
): Promise<void> {
  const issuer = new URL(options.issuer);
  await app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const url of PROVIDER_ROUTES) {
      scope.route({
        method: ['GET', 'POST'],
        url,
        handler(request, reply) {
          // oidc-provider builds its URLs (endpoints in discovery, the token
          // endpoint a client assertion's aud must name) and decides Secure
          // cookies from the request's host and protocol. Whatever proxy or
          // Host header the request came through, the issuer is the truth.
          request.raw.headers['x-forwarded-proto'] = issuer.protocol.replace(':', '');
          request.raw.headers['x-forwarded-host'] = issuer.host;
          request.raw.headers.host = issuer.host;
          reply.hijack();
          const cb = (handle as unknown as { callback: ReturnType<Provider['callback']> }).callback;
          void cb(request.raw, reply.raw);
        },
      });
    }
    done();
  });
}
