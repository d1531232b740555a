import { describeValue } from '../core/errors.js';
import { CliUsageError } from './cli-error.js';
import { allowedText, MAX_TEXT_LENGTH, type CommandSpec, type FlagSpec, type FlagTable, type FlagValues } from './flag-spec.js';

/** A parsed command line. */
export interface ParsedFlags<F extends FlagTable> {
  /**
   * The flags given, and the defaults of those absent that have one and no other
   * source (a flag with `env` or `file` is undefined when absent: its command
   * resolves flag > env > file > default with {@link settingFrom}).
   */
  values: FlagValues<F>;
  /** Names of the flags given on the command line. */
  given: ReadonlySet<keyof F & string>;
  /** The positional argument, when the command takes one. */
  positional: string | undefined;
  /** `--help` or `-h` was given: nothing else was checked. */
  help: boolean;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * Parses a command line against the command's flag table. A flag that takes a
 * value takes the next argument whatever it starts with (`--minutes -5` is the
 * value -5, refused with a plain message), except a `--flag`: `--league --json`
 * is a missing value. `--name=value` works for every value. Every error is a
 * {@link CliUsageError} of one line naming the flag.
 */
export function parseFlags<F extends FlagTable>(spec: CommandSpec<F>, argv: readonly string[]): ParsedFlags<F> {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new CliUsageError(`unknown option ${quote(arg)} (see vix-ttl ${spec.name} --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const flag = Object.hasOwn(spec.flags, name) ? spec.flags[name]! : undefined;
    if (!flag) throw new CliUsageError(`unknown option ${quote(`--${name}`)} (see vix-ttl ${spec.name} --help)`);
    if (given.has(name)) throw new CliUsageError(`--${name} is given twice`);
    given.add(name);
    if (flag.type === 'boolean') {
      if (inline !== undefined) throw new CliUsageError(`--${name} takes no value, got ${describeValue(inline)}`);
      values[name] = true;
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new CliUsageError(`--${name} needs a value (${flag.value})${next === undefined ? '' : `, got the flag ${quote(next)}; write --${name}=VALUE for a value that starts with --`}`);
      }
      raw = next;
      i += 1;
    }
    values[name] = flagValue(`--${name}`, flag, raw);
  }
  if (!help) {
    checkPositionals(spec, positionals);
    for (const [name, flag] of Object.entries(spec.flags)) {
      if (flag.required && !given.has(name)) throw new CliUsageError(`--${name} is required${flag.type === 'choice' ? ` (${flag.choices.join(', ')})` : flag.type === 'boolean' ? '' : ` (${flag.value})`}`);
      if (!given.has(name) && flag.type !== 'boolean' && flag.default !== undefined && flag.env === undefined && flag.file === undefined) values[name] = flag.default;
    }
  }
  return { values: values as FlagValues<F>, given: given as Set<keyof F & string>, positional: positionals[0], help };
}

function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const expected = spec.positional ? 1 : 0;
  if (positionals.length === expected) return;
  if (expected === 0) throw new CliUsageError(`unexpected argument ${quote(positionals[0]!)}: vix-ttl ${spec.name} takes flags only (see vix-ttl ${spec.name} --help)`);
  if (positionals.length === 0) throw new CliUsageError(`needs one ${spec.positional!.name}: vix-ttl ${spec.name} ${spec.synopsis}`);
  throw new CliUsageError(`takes one ${spec.positional!.name}, got ${positionals.length}: ${positionals.map(quote).join(' ')}`);
}

/**
 * Converts one text value (a flag's, or an environment variable's: `label` names
 * it) by the flag's type and checks its range or choices.
 * @throws CliUsageError "--minutes must be a number ≥ 0, got -5".
 */
export function flagValue(label: string, flag: FlagSpec, raw: string): string | number | boolean {
  if (flag.type === 'boolean') return true;
  const refuse = (shown: string): never => {
    throw new CliUsageError(`${label} must be ${allowedText(flag)}, got ${shown}`);
  };
  if (flag.type === 'number' || flag.type === 'integer') {
    const text = raw.trim();
    if (!(flag.type === 'integer' ? INTEGER : DECIMAL).test(text)) refuse(describeValue(raw));
    const number = Number(text);
    if (!Number.isFinite(number)) refuse(describeValue(raw));
    if ((flag.min !== undefined && number < flag.min) || (flag.max !== undefined && number > flag.max)) refuse(text);
    return number === 0 ? 0 : number; // no -0
  }
  if (raw === '') throw new CliUsageError(`${label} needs a value (${flag.value}), got ""`);
  if (raw.length > MAX_TEXT_LENGTH) throw new CliUsageError(`${label} must be at most ${MAX_TEXT_LENGTH} characters, got ${raw.length}`);
  if (flag.type === 'choice') {
    if (!flag.choices.includes(raw)) refuse(describeValue(raw));
    return raw;
  }
  if (flag.pattern && !flag.pattern.regex.test(raw)) refuse(describeValue(raw));
  return raw;
}

/**
 * A flag's value by precedence: the command line, then its environment variable,
 * then its key in the config file (already validated), then its default. A
 * variable set but empty (`PORT=`) is an error naming it, not "unset": an empty
 * value is a mistake, and falling back silently would hide it.
 */
export function settingFrom<F extends FlagTable, K extends keyof F & string>(
  spec: CommandSpec<F>,
  parsed: ParsedFlags<F>,
  name: K,
  env: NodeJS.ProcessEnv,
  file: object | undefined,
): FlagValues<F>[K] {
  const flag = spec.flags[name]!;
  if (parsed.given.has(name) || flag.type === 'boolean') return parsed.values[name];
  const fromEnv = flag.env === undefined ? undefined : env[flag.env];
  if (fromEnv === '') throw emptyVariable(flag.env!, flag.value);
  if (fromEnv !== undefined) return flagValue(flag.env!, flag, fromEnv) as FlagValues<F>[K];
  const fromFile = flag.file === undefined || file === undefined ? undefined : valueAt(file, flag.file);
  if (fromFile !== undefined) return fromFile as FlagValues<F>[K];
  return flag.default as FlagValues<F>[K];
}

/** The value at a dotted path (`server.port`) of a parsed config file, or undefined. */
function valueAt(file: object, path: string): unknown {
  let value: unknown = file;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function quote(text: string): string {
  return `'${printable(text.length > 60 ? `${text.slice(0, 57)}...` : text)}'`;
}

/**
 * `text` with its control characters (line breaks, terminal escapes) written as
 * `\u001b`…, so an argument echoed in a message stays one line and cannot drive the terminal.
 */
export function printable(text: string): string {
  let result = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    result += code < 0x20 || (code >= 0x7f && code < 0xa0) ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return result;
}

/**
 * The error for a variable that is set but empty: set but empty is not "unset", so
 * nothing falls back silently (an empty `REDIS_URL` to the in-memory clock, an
 * empty token to open routes). The message says how to get either meaning.
 */
export function emptyVariable(variable: string, value: string): CliUsageError {
  return new CliUsageError(`${variable} is set but empty: unset it for the default, or give it a value (${value})`);
}
