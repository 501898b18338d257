// Starts the demo supplier on its own: `npx tsx demo-supplier/main.ts`.
//
//   ISSUER            the identity service (default http://localhost:3000)
//   PORT              port to listen on (default 3001)
//   HOST              interface to listen on (default 127.0.0.1)
//   BASE_URL          where browsers reach this app (default http://localhost:PORT)
//   CLIENT_ID         the client registered for this app (default demo-supplier)
//   PRIVATE_KEY_PATH  the client's PKCS#8 PEM key (default: the committed,
//                     development-only keys/demo-supplier-private.pem)
import { readFileSync } from 'node:fs';
import { buildDemoSupplier, DEFAULT_REDIRECT_PATH, DEMO_SUPPLIER_PRIVATE_KEY_PATH } from './app.js';

const issuer = (process.env.ISSUER ?? 'http://localhost:3000').replace(/\/+$/, '');
const port = Number(process.env.PORT ?? 3001);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid PORT: ${process.env.PORT}`);
const host = process.env.HOST ?? '127.0.0.1';
const baseUrl = (process.env.BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
const clientId = process.env.CLIENT_ID ?? 'demo-supplier';
const privateKeyPem = readFileSync(process.env.PRIVATE_KEY_PATH ?? DEMO_SUPPLIER_PRIVATE_KEY_PATH, 'utf8');

const app = await buildDemoSupplier({ issuer, baseUrl, clientId, privateKeyPem, logger: true });
await app.listen({ host, port });
app.log.info(
  `Demo supplier at ${baseUrl}/ (client ${clientId}, redirect URI ${baseUrl}${DEFAULT_REDIRECT_PATH}, issuer ${issuer})`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
