// A small app with the whole chassis registered, for the tests in this folder.
import Fastify, { type FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import { registerErrorPages, renderErrorPage } from './errors.js';
import { allowFormActionTo, csrfProtect, registerSecurity } from './security.js';
import { registerStatic } from './static.js';
import { createViews, registerViews, render } from './views.js';

export async function buildTestApp(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const views = createViews({
    extraPaths: [fileURLToPath(new URL('./__fixtures__/views', import.meta.url))],
  });
  registerViews(app, views);
  await registerSecurity(app, { production: false, cookieSecret: 'x'.repeat(32) });
  await registerStatic(app);
  registerErrorPages(app, views);

  app.get('/form', (_request, reply) => render(reply, 'test-form.njk', { values: {}, errors: {} }));
  app.post('/form', { preHandler: csrfProtect }, (request, reply) => {
    const body = request.body as { email?: string; phone?: string };
    const errors: Record<string, string> = {};
    if (!body.email) errors.email = 'Enter your email address';
    if (!body.phone) errors.phone = 'Enter your mobile phone number';
    if (Object.keys(errors).length > 0) {
      return reply.code(400).send(render(reply, 'test-form.njk', { values: body, errors }));
    }
    return reply.redirect('/done', 303);
  });
  app.get('/finish', (_request, reply) => {
    allowFormActionTo(reply, ['https://rp.example:8443/callback?x=1', 'com.example.app:/callback']);
    return render(reply, 'test-form.njk', { values: {}, errors: {} });
  });
  app.get('/lost', (_request, reply) =>
    renderErrorPage(reply, 'sessionEnded', { startAgainHref: 'https://rp.example/start' }),
  );
  app.get('/boom', () => {
    throw new Error('secret database password in message');
  });
  app.post('/token', () => {
    throw new Error('token endpoint exploded');
  });
  await app.ready();
  return app;
}
