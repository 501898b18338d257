// Flag parsing on node:util parseArgs, with plain messages that name the
// flag at fault. A usage mistake is reported and gives exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT_FAILED, EXIT_USAGE, type CliContext } from './context.js';

export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** Options in the order typed, for flags whose values are combined (--scope with --scopes). */
  options: { name: string; value: string | undefined }[];
}

/** Thrown for a mistake in how the command was typed; run.ts prints it and exits 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
}

export function parseFlags(
  args: string[],
  options: FlagOptions,
  positionals: { min: number; max: number; names: string },
): Parsed {
  let parsed: Parsed;
  try {
    const result = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
    parsed = {
      values: result.values as Parsed['values'],
      positionals: result.positionals,
      options: result.tokens.flatMap((t) => (t.kind === 'option' ? [{ name: t.name, value: t.value }] : [])),
    };
  } catch (error) {
    throw new UsageError(plainParseError(error));
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError(`Missing ${positionals.names}`);
  if (count > positionals.max) {
    const extra = parsed.positionals.slice(positionals.max).join(' ');
    throw new UsageError(`Unexpected argument: ${extra}`);
  }
  return parsed;
}

/** parseArgs messages carry advice about `--`; keep the first sentence, which names the flag. */
function plainParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `Unknown flag ${unknown[1]}`;
  const missing = /^Option '(-\S+)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  const noValue = /^Option '(-\S+)' does not take an argument/.exec(message);
  if (noValue) return `${noValue[1]} takes no value`;
  return message.split('. ')[0] ?? message;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function given(p: Parsed, name: string): boolean {
  return p.values[name] !== undefined;
}

/** A positive whole number, or a usage error naming the flag. */
export function positiveInteger(value: string, flagName: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${flagName} must be a positive whole number (got "${value}")`);
  }
  return Number(value);
}

export function usageFailed(
  ctx: CliContext,
  message: string,
  hint = 'Run `npm run cli help` for usage.',
): number {
  ctx.err(message);
  ctx.err(hint);
  return EXIT_USAGE;
}

/** Thrown when the command ran but could not do what was asked; printed, exit code 1. */
export class CommandFailed extends Error {}

/** Turns UsageError and CommandFailed into their exit codes, so commands can simply throw. */
export function command(run: (ctx: CliContext, args: string[]) => Promise<number>) {
  return async (ctx: CliContext, args: string[]): Promise<number> => {
    try {
      return await run(ctx, args);
    } catch (error) {
      if (error instanceof UsageError) return usageFailed(ctx, error.message);
      if (error instanceof CommandFailed) {
        ctx.err(error.message);
        return EXIT_FAILED;
      }
      throw error;
    }
  };
}
