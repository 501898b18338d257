// Development-only pages (never registered in production): the outbox, where
// the "emails" and "text messages" the embedded service sends can be read.
import type { FastifyInstance } from 'fastify';
import { readOutbox } from '../adapters/notify/outbox.js';
import type { Db } from '../store/db.js';
import { render } from './views.js';

export function registerDevRoutes(app: FastifyInstance, db: Db): void {
  app.get('/dev/outbox', async (request, reply) => {
    const query = request.query as { to?: unknown };
    // `to` repeated arrives as an array, and a NUL cannot reach Postgres: both
    // were 500s. Anything but one plain string lists every message.
    const to = typeof query.to === 'string' && !query.to.includes('\u0000') ? query.to : '';
    const messages = await readOutbox(db, { recipient: to || undefined, limit: 50 });
    return render(reply, 'dev/outbox.njk', { messages, to });
  });
}
