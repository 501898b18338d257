// A load balancer in miniature for the scale tests: a loopback HTTP server
// that sends each request to the next instance in turn. An instance that
// refuses the connection (stopped, killed, not yet listening) is skipped and
// the request goes to the next one, as a balancer with health checks would
// do; a request that an instance accepted and then dropped is answered 502
// and not replayed (it may not be safe to send twice). Each response says
// which instance answered (x-served-by), so tests can show that consecutive
// requests of one journey landed on different instances.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  port: number;
  /** Which target port served each request, in order. */
  served: number[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `targets()` is read per request, so the test can add or remove instances while it runs. */
export async function startRoundRobinProxy(targets: () => number[], port = 0): Promise<RoundRobinProxy> {
  let next = 0;
  const served: number[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      // Buffered so that a refused connection can be retried on the next instance.
      const body = await readBody(req);
      const ports = targets();
      for (let tries = 0; tries < ports.length; tries++) {
        const target = ports[next++ % ports.length]!;
        const outcome = await new Promise<'done' | 'refused' | 'dropped'>((resolve) => {
          const upstream = httpRequest(
            {
              host: '127.0.0.1',
              port: target,
              method: req.method,
              path: req.url,
              headers: req.headers,
              // A fresh connection each time: a kept-alive socket to a killed
              // instance would fail like a dropped request, not a refused one.
              agent: false,
            },
            (response) => {
              served.push(target);
              res.writeHead(response.statusCode ?? 502, {
                ...response.headers,
                'x-served-by': String(target),
              });
              response.pipe(res);
              response.on('end', () => resolve('done'));
              response.on('error', () => {
                res.destroy();
                resolve('dropped');
              });
            },
          );
          upstream.on('error', (e: NodeJS.ErrnoException) =>
            resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'dropped'),
          );
          upstream.end(body);
        });
        if (outcome === 'done') return;
        if (outcome === 'dropped') {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad gateway');
          else res.destroy();
          return;
        }
      }
      res.writeHead(503, { 'content-type': 'text/plain' }).end('No instance is available');
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
