// Process entry: read configuration, start the service (and, with
// --with-demo, the demo supplier beside it), print where to click, and shut
// down gracefully, finishing requests in flight.
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { startRuntime } from './runtime.js';
import { EmbeddedDatabaseInUse } from './store/embedded-lock.js';
import { DEMO_CLIENT_ID, TEST_PASSWORD, TEST_PEOPLE } from './cli/seed.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await startRuntime(config, { logger: { level: config.logLevel } });
  await runtime.app.listen({ host: config.host, port: config.port });

  let demo: { close(): Promise<unknown> } | undefined;
  const withDemo = process.argv.includes('--with-demo') && config.seedDemo;
  if (withDemo) {
    const { buildDemoSupplier, DEMO_SUPPLIER_PRIVATE_KEY_PATH } = await import('../demo-supplier/app.js');
    const baseUrl = `http://localhost:${config.demoSupplierPort}`;
    const app = await buildDemoSupplier({
      issuer: config.issuer,
      baseUrl,
      clientId: DEMO_CLIENT_ID,
      privateKeyPem: readFileSync(DEMO_SUPPLIER_PRIVATE_KEY_PATH, 'utf8'),
    });
    await app.listen({ host: config.host, port: config.demoSupplierPort });
    demo = app;
  }

  const lines = [
    '',
    `NHS login (open implementation) is running at ${config.issuer}`,
    `  discovery:  ${config.issuer}/.well-known/openid-configuration`,
    ...(config.production
      ? []
      : [`  outbox:     ${config.issuer}/dev/outbox   (the emails and text messages we "sent")`]),
    ...(runtime.metrics
      ? [`  metrics:    ${runtime.metrics.url}   (Prometheus; not on the public port)`]
      : []),
    ...(withDemo
      ? [
          '',
          `Start here: http://localhost:${config.demoSupplierPort}  (the demo GP surgery app, a supplier)`,
          '',
          `Test people (password "${TEST_PASSWORD}"; text-message codes appear in the outbox):`,
          ...TEST_PEOPLE.map(
            (p) => `  ${p.level}  ${p.email}  ${p.nhsNumber ? `NHS number ${p.nhsNumber}` : ''}`,
          ),
          '',
          'Prove who you are (from the account page, or when the demo app asks for P5 or P9):',
          '  P5: your details matched to the synthetic national record (fixtures/pds)',
          '  P9: GP online services details; list some with: npm run cli -- gp-linkages',
          '',
          `Back office: ${config.issuer}/backoffice  (first operator: stop the service, then npm run cli -- staff create-operator --email ... --name ...)`,
        ]
      : []),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.app.log.info({ signal }, 'shutting down');
    void (async () => {
      await demo?.close();
      await runtime.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof EmbeddedDatabaseInUse) {
    process.stderr.write(`${e.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
