// Finds the command an argument list names. index.ts opens the database only
// for commands that need it; tests call runCommand with a context of their own.
import { auditVerify } from './commands/audit.js';
import { GROUPS, help, usageLines } from './commands/help.js';
import { keysList, keysRotate } from './commands/keys.js';
import { migrate } from './commands/migrate.js';
import { outbox } from './commands/outbox.js';
import { people } from './commands/people.js';
import { seed } from './commands/seed.js';
import { staffCreateOperator, staffList } from './commands/staff.js';
import { suppliersAdd } from './commands/suppliers-add.js';
import { suppliersChange } from './commands/suppliers-change.js';
import { suppliersList } from './commands/suppliers-list.js';
import { suppliersRemove } from './commands/suppliers-remove.js';
import { suppliersShow } from './commands/suppliers-show.js';
import { EXIT_USAGE, type CliContext, type Command } from './context.js';

/** Commands by name; a group's subcommands as "group subcommand". */
export const COMMANDS: Record<string, Command> = {
  migrate,
  'suppliers add': suppliersAdd,
  'suppliers list': suppliersList,
  'suppliers show': suppliersShow,
  'suppliers change': suppliersChange,
  'suppliers remove': suppliersRemove,
  'keys rotate': keysRotate,
  'keys list': keysList,
  outbox,
  people,
  seed,
  'audit verify': auditVerify,
  'staff create-operator': staffCreateOperator,
  'staff list': staffList,
};

const SUBCOMMAND_GROUPS = new Set(
  Object.keys(COMMANDS).flatMap((k) => (k.includes(' ') ? [k.split(' ')[0]] : [])),
);

export type Resolved =
  | { kind: 'run'; name: string; run: Command; args: string[] }
  | { kind: 'help'; args: string[] }
  | { kind: 'usage'; message: string; group?: string | undefined };

export function resolveCommand(argv: string[]): Resolved {
  const [first, second, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    return { kind: 'help', args: first === undefined ? [] : argv.slice(1) };
  }
  if (SUBCOMMAND_GROUPS.has(first)) {
    if (second === undefined) return { kind: 'usage', message: `${first} needs a subcommand.`, group: first };
    if (second === '--help' || second === '-h' || second === 'help') return { kind: 'help', args: [first] };
    const run = COMMANDS[`${first} ${second}`];
    if (!run) return { kind: 'usage', message: `There is no command ${first} ${second}.`, group: first };
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', args: [first] };
    return { kind: 'run', name: `${first} ${second}`, run, args: rest };
  }
  const run = COMMANDS[first];
  if (!run) return { kind: 'usage', message: `There is no command ${first}.` };
  const args = argv.slice(1);
  if (args.includes('--help') || args.includes('-h')) return { kind: 'help', args: [first] };
  return { kind: 'run', name: first, run, args };
}

/** Handles help and usage mistakes without the database; index.ts calls this before opening it. */
export function answerWithoutDatabase(
  resolved: Exclude<Resolved, { kind: 'run' }>,
  ctx: Pick<CliContext, 'out' | 'err'>,
): number {
  if (resolved.kind === 'help') return help(ctx, resolved.args);
  ctx.err(resolved.message);
  const group = resolved.group && GROUPS.includes(resolved.group) ? resolved.group : undefined;
  for (const line of usageLines(group)) ctx.err(line);
  return EXIT_USAGE;
}

/** Runs a whole command line against a context (the way tests drive the CLI end to end). */
export async function runCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const resolved = resolveCommand(argv);
  if (resolved.kind !== 'run') return answerWithoutDatabase(resolved, ctx);
  return resolved.run(ctx, resolved.args);
}
