// Counts and times every HTTP request by its route pattern (/authorize/:uid,
// never the raw URL): raw URLs carry ids and would make a series per request.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './registry.js';

/** Requests no route matched (404s, scanners) share one label. */
export const UNMATCHED_ROUTE = 'unmatched';

export function instrumentHttp(app: FastifyInstance, metrics: Metrics): void {
  // onResponse also fires for the provider's hijacked replies (the socket's finish), so /token is counted.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const method = request.method;
    metrics.httpRequests.inc({ method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
    done();
  });
}
