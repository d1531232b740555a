import type { VixTtlErrorCode } from './error-catalogue.js';

/** Marks vix-ttl's errors; `Symbol.for`, so two copies of the package (two versions in one tree) share it. */
const BRAND = Symbol.for('vix-ttl.error');

/**
 * Base class of every error vix-ttl throws on purpose. `code` is stable across
 * releases and comes from the catalogue (`ERROR_CODES`), so callers can branch on it instead
 * of parsing messages. The errors are branded like undici's: `instanceof` (and
 * {@link isVixTtlError}) holds for an error thrown by another copy of vix-ttl in the
 * same process, where a plain prototype check would say no.
 */
export class VixTtlError extends Error {
  /** The code every instance of a subclass carries; undefined on the base class (any code). */
  static readonly code: VixTtlErrorCode | undefined = undefined;
  readonly code: VixTtlErrorCode;

  constructor(code: VixTtlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** The brand {@link isVixTtlError} checks. */
  get [BRAND](): true {
    return true;
  }

  /**
   * `error instanceof StoreTimeoutError`: a prototype check, or, for an error of
   * another copy of vix-ttl, its brand and the class's code.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (ordinaryInstanceOf(this, value)) return true;
    if (!isVixTtlError(value)) return false;
    if (this === VixTtlError) return true;
    return Object.hasOwn(this, 'code') && this.code !== undefined && value.code === this.code;
  }
}

/** The prototype-chain check `instanceof` does without a brand; false, not a throw, for a value that cannot be inspected. */
function ordinaryInstanceOf(constructor: typeof VixTtlError, value: unknown): boolean {
  try {
    return Function.prototype[Symbol.hasInstance].call(constructor, value);
  } catch {
    return false;
  }
}

/**
 * Whether `value` is an error of vix-ttl (of this copy or another, which may know
 * codes this one does not), and, with `code`, one carrying that code. For code that
 * must hold whichever copy of vix-ttl threw.
 */
export function isVixTtlError<C extends VixTtlErrorCode>(value: unknown, code?: C): value is VixTtlError & { code: C } {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if ((value as { [BRAND]?: unknown })[BRAND] !== true) return false;
    const actual = (value as { code?: unknown }).code;
    return typeof actual === 'string' && (code === undefined || actual === code);
  } catch {
    return false; // a value whose properties throw (a revoked proxy a broken store rejected with) is not ours
  }
}

/** A call received a value it cannot work with; `field` names the argument. */
export class InvalidInputError extends VixTtlError {
  static override readonly code = 'VIX_TTL_INVALID_INPUT';
  readonly field: string;

  constructor(field: string, rule: string, value: unknown) {
    super(InvalidInputError.code, `${field} ${rule}, got ${describeValue(value)}`);
    this.field = field;
  }
}

/** A configuration object was rejected at construction; `field` is its dotted path. */
export class InvalidConfigError extends VixTtlError {
  static override readonly code = 'VIX_TTL_INVALID_CONFIG';
  readonly field: string;

  constructor(field: string, message: string) {
    super(InvalidConfigError.code, `${field || 'options'}: ${message}`);
    this.field = field;
  }
}

/** The panic store (Redis) failed or answered something unusable. */
export class StoreError extends VixTtlError {
  static override readonly code = 'VIX_TTL_STORE_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(StoreError.code, message, options);
  }
}

/** The panic store did not answer within the configured timeout. */
export class StoreTimeoutError extends VixTtlError {
  static override readonly code = 'VIX_TTL_STORE_TIMEOUT';
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(StoreTimeoutError.code, `panic store did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The message of anything thrown, for a log line or another error's message: an
 * Error's `message`, else its text; never throws (a value whose properties throw
 * gives a placeholder). For errors that come from code we do not own: a store
 * client, a loader, a serializer, a custom clock.
 */
export function messageOf(error: unknown): string {
  try {
    const message = (error as { message?: unknown } | null | undefined)?.message;
    return typeof message === 'string' ? message : String(error);
  } catch {
    return 'an error that cannot be read';
  }
}

/** Lists the values a field takes, for an error message: `calm, elevated or panic`. */
export function describeChoices(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/** Renders a value for an error message: short, and never a multi-line dump. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return `a ${typeof value}`;
}

/**
 * The command was not sent: an earlier command for the same key is still
 * unanswered past the timeout, or `maxInFlight` commands are (when `inFlight` is
 * given). Nothing queues behind a hung store, so during an outage the client's
 * queue stays bounded.
 */
export class StoreBusyError extends VixTtlError {
  static override readonly code = 'VIX_TTL_STORE_BUSY';
  constructor(key: string, inFlight?: number) {
    super(
      StoreBusyError.code,
      inFlight === undefined
        ? `an earlier command for ${key} is still unanswered; not queueing another`
        : `${inFlight} commands to ${key} are unanswered (maxInFlight); not sending another`,
    );
  }
}

/**
 * A cache loader did not settle within `loadTimeout.hard`: the callers waiting on
 * it are released with this error instead of waiting forever, and the key's single
 * flight and cross-process lock are freed, so the next call loads again.
 */
export class LoaderTimeoutError extends VixTtlError {
  static override readonly code = 'VIX_TTL_LOAD_TIMEOUT';
  /** The caller's cache key (without the namespace). */
  readonly key: string;
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number) {
    super(LoaderTimeoutError.code, `loader for key ${describeValue(key)} did not settle within loadTimeout.hard = ${timeoutMs} ms`);
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A load was refused to protect the backend: `maxConcurrentLoads` (or the scope's
 * bound) loader calls were already in flight, no stale entry younger than the bound
 * could stand in, and no slot freed within the wait. Retry later, or serve a
 * fallback: the backend is at the capacity it was given.
 */
export class OverloadedError extends VixTtlError {
  static override readonly code = 'VIX_TTL_OVERLOADED';
  /** The caller's cache key (without the namespace). */
  readonly key: string;
  /** Loader calls in flight when the load was refused. */
  readonly inFlight: number;

  constructor(key: string, inFlight: number, waitedMs: number) {
    super('VIX_TTL_OVERLOADED', `load of key ${describeValue(key)} refused: ${inFlight} loads in flight (maxConcurrentLoads), no stale entry within the bound, no slot freed within ${waitedMs} ms`);
    this.key = key;
    this.inFlight = inFlight;
  }
}
