/**
 * Base class of every error vix-ttl throws on purpose. `code` is stable across
 * releases, so callers can branch on it instead of parsing messages.
 */
export class VixTtlError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A call received a value it cannot work with; `field` names the argument. */
export class InvalidInputError extends VixTtlError {
  readonly field: string;

  constructor(field: string, rule: string, value: unknown) {
    super('VIX_TTL_INVALID_INPUT', `${field} ${rule}, got ${describeValue(value)}`);
    this.field = field;
  }
}

/** A configuration object was rejected at construction; `field` is its dotted path. */
export class InvalidConfigError extends VixTtlError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('VIX_TTL_INVALID_CONFIG', `${field || 'options'}: ${message}`);
    this.field = field;
  }
}

/** The panic store (Redis) failed or answered something unusable. */
export class StoreError extends VixTtlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VIX_TTL_STORE_ERROR', message, options);
  }
}

/** The panic store did not answer within the configured timeout. */
export class StoreTimeoutError extends VixTtlError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('VIX_TTL_STORE_TIMEOUT', `panic store did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
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
  constructor(key: string, inFlight?: number) {
    super(
      'VIX_TTL_STORE_BUSY',
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
  /** The caller's cache key (without the namespace). */
  readonly key: string;
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number) {
    super('VIX_TTL_LOAD_TIMEOUT', `loader for key ${describeValue(key)} did not settle within loadTimeout.hard = ${timeoutMs} ms`);
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
