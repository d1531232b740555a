/** Where a flag's value may also come from, besides the command line. */
interface Sourced {
  /** Environment variable read when the flag is absent (flags > env > file > defaults). */
  readonly env?: string;
  /** Path in the `--config` file read when neither the flag nor the variable is set. */
  readonly file?: string;
}

interface Described {
  /** What the flag does, one sentence, shown by `--help`. */
  readonly meaning: string;
  /** The default as help shows it when it is not a plain value ("none: the in-memory clock"). */
  readonly defaultText?: string;
  /** The flag must be given (help says "required"). */
  readonly required?: boolean;
}

/** A switch: present or absent, takes no value. */
export interface BooleanFlag extends Described {
  readonly type: 'boolean';
}

/** A text value, never empty, at most {@link MAX_TEXT_LENGTH} characters. */
export interface StringFlag extends Described, Sourced {
  readonly type: 'string';
  /** Placeholder of the value in help (`URL`, `FILE`…). */
  readonly value: string;
  readonly default?: string;
  /** A rule the value must follow, and how help and errors say it ("a host name or an IP address"). */
  readonly pattern?: { readonly regex: RegExp; readonly rule: string };
}

/** A decimal number (`45`, `0.5`, `-5` is read and then refused by `min`); no exponent, hex, `Infinity` or empty text. */
export interface NumberFlag extends Described, Sourced {
  readonly type: 'number';
  readonly value: string;
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
}

/** Digits only (an optional sign), within `min`–`max`. */
export interface IntegerFlag extends Described, Sourced {
  readonly type: 'integer';
  readonly value: string;
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}

/** One of a fixed list of words. */
export interface ChoiceFlag extends Described, Sourced {
  readonly type: 'choice';
  readonly value: string;
  readonly choices: readonly string[];
  readonly default?: string;
}

/**
 * One flag of a command: its type, meaning, default and allowed values. A command's
 * table of these drives parsing, validation and `--help` alike, so help cannot
 * drift from what the parser accepts.
 */
export type FlagSpec = BooleanFlag | StringFlag | NumberFlag | IntegerFlag | ChoiceFlag;

/** A command's flags by name (without the leading `--`). */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** What a command is, for the parser and for `vix-ttl help <command>`. */
export interface CommandSpec<F extends FlagTable = FlagTable> {
  readonly name: string;
  /** One line: what the command does. */
  readonly summary: string;
  /** The synopsis after `vix-ttl <name> ` (`--status STATUS [--minutes M] [flags]`). */
  readonly synopsis: string;
  /** Paragraphs shown by `--help` after the synopsis. */
  readonly description?: string;
  /** The one positional argument the command takes, if any. */
  readonly positional?: { readonly name: string; readonly meaning: string };
  readonly flags: F;
}

/** The longest text value a flag takes; a longer one is refused (bounded input). */
export const MAX_TEXT_LENGTH = 1000;

type ValueOf<S extends FlagSpec> = S extends BooleanFlag
  ? boolean
  : S extends NumberFlag | IntegerFlag
    ? number
    : S extends { readonly choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** Parsed flag values by name: absent flags are undefined. */
export type FlagValues<F extends FlagTable> = { -readonly [K in keyof F]?: ValueOf<F[K]> };

/** The rule a number, integer or choice flag's value must follow, as help and errors word it. */
export function allowedText(spec: FlagSpec): string | null {
  switch (spec.type) {
    case 'number':
      if (spec.min !== undefined && spec.max !== undefined) return `a number from ${spec.min} to ${spec.max}`;
      if (spec.min !== undefined) return `a number ≥ ${spec.min}`;
      if (spec.max !== undefined) return `a number ≤ ${spec.max}`;
      return 'a number';
    case 'integer':
      return `an integer from ${spec.min} to ${spec.max}`;
    case 'choice':
      return `one of ${spec.choices.join(', ')}`;
    case 'string':
      return spec.pattern?.rule ?? null;
    case 'boolean':
      return null;
  }
}

/** The default as help shows it (`none` for an optional value without one), or null for a switch or a required flag. */
export function defaultText(spec: FlagSpec): string | null {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.type === 'boolean' || spec.required) return null;
  return spec.default === undefined ? 'none' : String(spec.default);
}
