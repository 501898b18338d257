// The operator's command line: `npm run cli -- COMMAND [flags]`.
// Opens the database from configuration exactly as the service does
// (DATABASE_URL, or embedded Postgres in DATA_DIR/pg), runs one command,
// closes the database and exits 0 (done), 1 (failed) or 2 (usage mistake).
import { createAuditLog } from '../audit/log.js';
import { ConfigError, loadConfig } from '../config.js';
import { migrate, openDatabase, type OpenDatabase } from '../store/db.js';
import { createSealer, developmentEncryptionKey } from '../store/encryption.js';
import { EXIT_FAILED, type CliContext } from './context.js';
import { answerWithoutDatabase, resolveCommand } from './run.js';
import { help } from './commands/help.js';
import { gpLinkages } from './commands/gp-linkages.js';
import { embeddedLockHolder } from '../store/embedded-lock.js';

/** Commands that only read, and so may run beside a service on the embedded database. */
const READ_ONLY_COMMANDS = new Set([
  'outbox',
  'people',
  'keys list',
  'suppliers list',
  'suppliers show',
  'audit verify',
  'staff list',
]);

/** Commands that read only the data files shipped in the repository: no database is opened. */
const WITHOUT_DATABASE: Record<
  string,
  (io: Pick<CliContext, 'out' | 'err'>, args: string[]) => Promise<number>
> = {
  'gp-linkages': gpLinkages,
};

const out = (line: string) => void process.stdout.write(line + '\n');
const err = (line: string) => void process.stderr.write(line + '\n');

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const standalone = name === undefined ? undefined : WITHOUT_DATABASE[name];
  if (name !== undefined && standalone) {
    if (rest.includes('--help') || rest.includes('-h')) return help({ out, err }, [name]);
    return standalone({ out, err }, rest);
  }
  const resolved = resolveCommand(argv);
  if (resolved.kind !== 'run') return answerWithoutDatabase(resolved, { out, err });

  let database: OpenDatabase | undefined;
  try {
    const config = loadConfig();
    // While the service runs on the embedded database, the CLI may read it but not write it.
    const holder = config.databaseUrl ? undefined : embeddedLockHolder(config.dataDir);
    if (holder && !READ_ONLY_COMMANDS.has(resolved.name)) {
      err(
        `The service (pid ${holder}) is running on the embedded database in ${config.dataDir}, and only one process may write it.
` + `Stop the service (Ctrl+C), run this command, then start it again. Tokens already issued stay valid.`,
      );
      return EXIT_FAILED;
    }
    database = await openDatabase({ url: config.databaseUrl, dataDir: `${config.dataDir}/pg` });
    if (resolved.name !== 'migrate' && !holder) {
      // The service migrates on start; the CLI does the same so it works on a fresh database.
      const ran = await migrate(database.db);
      if (ran.length) err(`Applied migrations first: ${ran.join(', ')}`);
    }
    const ctx: CliContext = {
      db: database.db,
      sealer: createSealer(config.encryptionKey ?? developmentEncryptionKey(config.dataDir)),
      audit: createAuditLog(database.db),
      out,
      err,
      issuer: config.issuer,
      production: config.production,
      demoSupplierBaseUrl: `http://localhost:${config.demoSupplierPort}`,
    };
    return await resolved.run(ctx, resolved.args);
  } catch (error) {
    if (error instanceof ConfigError) err(error.message);
    else err(`Failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_FAILED;
  } finally {
    await database?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    err(String(error));
    process.exit(EXIT_FAILED);
  },
);
