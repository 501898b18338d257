// `gp-linkages [--ods CODE] [--limit N]`: GP online services details from the
// embedded simulated GP system, for testers proving identity with them (P9,
// GP online services route). Reads the shipped data files only, so it needs
// no database; refuses when a real GP system is configured.
import { formatNhsNumber } from '../../domain/nhs-number.js';
import { DEFAULT_LOCK_AFTER } from '../../adapters/gp-system/embedded.js';
import { normaliseOdsCode } from '../../adapters/gp-system/details.js';
import { loadGpLinkageEntries, NAMED_GP_LINKAGES } from '../../adapters/gp-system/linkages.js';
import { CommandFailed, parseFlags, positiveInteger, str, UsageError } from '../args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliContext } from '../context.js';
import { table } from '../table.js';

export const DEFAULT_GP_LINKAGES_LIMIT = 20;

export interface GpLinkagesOptions {
  /** Where GP_SYSTEM_BASE_URL is read (process.env by default). */
  env?: NodeJS.ProcessEnv;
  dataFile?: string | URL;
  patientsFile?: string | URL;
}

type Output = Pick<CliContext, 'out' | 'err'>;

export function createGpLinkagesCommand(options: GpLinkagesOptions = {}) {
  return async (ctx: Output, args: string[]): Promise<number> => {
    try {
      return await run(ctx, args, options);
    } catch (error) {
      if (error instanceof UsageError) {
        ctx.err(error.message);
        ctx.err('Run `npm run cli help gp-linkages` for usage.');
        return EXIT_USAGE;
      }
      if (error instanceof CommandFailed) {
        ctx.err(error.message);
        return EXIT_FAILED;
      }
      throw error;
    }
  };
}

export const gpLinkages = createGpLinkagesCommand();

async function run(ctx: Output, args: string[], options: GpLinkagesOptions): Promise<number> {
  const parsed = parseFlags(
    args,
    { ods: { type: 'string' }, limit: { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  const env = options.env ?? process.env;
  if (env.GP_SYSTEM_BASE_URL) {
    throw new CommandFailed(
      `A real GP system is configured (GP_SYSTEM_BASE_URL=${env.GP_SYSTEM_BASE_URL}), and its details are not ours to list.\n` +
        "gp-linkages shows the simulated GP system's test details only: unset GP_SYSTEM_BASE_URL to use it, " +
        "or ask the practice for a test patient's GP online services details.",
    );
  }
  const odsArg = str(parsed, 'ods');
  const ods = odsArg === undefined ? undefined : normaliseOdsCode(odsArg);
  const limitArg = str(parsed, 'limit');
  const limit = limitArg === undefined ? DEFAULT_GP_LINKAGES_LIMIT : positiveInteger(limitArg, '--limit');

  const { entries } = await loadGpLinkageEntries({
    ...(options.dataFile ? { dataFile: options.dataFile } : {}),
    ...(options.patientsFile ? { patientsFile: options.patientsFile } : {}),
  });
  const matching = ods ? entries.filter((e) => e.details.odsCode === ods) : entries;
  if (matching.length === 0) {
    const practices = [...new Set(entries.map((e) => e.details.odsCode))].sort();
    throw new CommandFailed(
      `The simulated GP system has no details at practice ${ods ?? ''}. Its practices: ${practices.join(', ')}`,
    );
  }
  const shown = matching.slice(0, limit);
  const rows = shown.map(({ details, patient }) => [
    details.accountId,
    details.linkageKey,
    details.odsCode,
    [...patient.givenNames, patient.familyName].join(' '),
    patient.birthDate,
    formatNhsNumber(patient.nhsNumber),
  ]);
  for (const line of table(
    ['ACCOUNT ID', 'LINKAGE KEY', 'ODS CODE', 'NAME', 'DATE OF BIRTH', 'NHS NUMBER'],
    rows,
  )) {
    ctx.out(line);
  }
  ctx.out('');
  ctx.out(
    `${shown.length} of ${matching.length} sets of details${ods ? ` at ${ods}` : ''} in the simulated GP system (--limit N for more).`,
  );
  const named = NAMED_GP_LINKAGES.filter((n) => shown.some((e) => e.details.accountId === n.accountId));
  for (const n of named) ctx.out(`  ${n.accountId}: ${n.note}`);
  ctx.out(
    'Prove who you are with "GP online services details": the surname and date of birth must match too. ' +
      `${DEFAULT_LOCK_AFTER} wrong tries lock an Account ID until the service restarts.`,
  );
  ctx.out('Details issued by practice staff live in the running service only and are not listed here.');
  return EXIT_OK;
}
