import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../core/errors.js';
import { CliUsageError } from './cli-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags strictly; an unknown or malformed flag is a usage error. */
/** Flag values by name: strings, booleans for switches, undefined when absent. */
export type FlagValues = Record<string, string | boolean | undefined>;

export function parseFlags(argv: string[], options: Options): FlagValues {
  try {
    return parseArgs({ args: argv, options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw new CliUsageError(message.replace(/^Unknown option/, "unknown option"));
  }
}

/** A flag that must be a finite number ≥ 0 (or absent → fallback). */
export function numberFlag(flag: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new CliUsageError(`--${flag} is required`);
    return fallback;
  }
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidInputError(`--${flag}`, 'must be a finite number ≥ 0', value);
  return number;
}

/** A flag that must be one of `choices`. */
export function choiceFlag<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new InvalidInputError(`--${flag}`, `must be one of ${choices.join(', ')}`, value);
  return value as T;
}
