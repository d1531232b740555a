/** One HTTP error of the catalogue: its status and what it means. */
export interface HttpErrorEntry {
  readonly status: number;
  readonly message: string;
}

/**
 * Every `error` name the service answers in its JSON error bodies
 * (`{ error, field, message }`), with its HTTP status and meaning. The status of an
 * `HttpError` comes from here, so a name and its status cannot disagree between
 * two routes. The names are stable: clients branch on them.
 */
export const HTTP_ERRORS = Object.freeze({
  invalid_body: { status: 400, message: 'A field of the request body is invalid; `field` names it.' },
  invalid_json: { status: 400, message: 'The request body is empty or is not valid JSON.' },
  bad_request: { status: 400, message: 'The request is malformed (its line, a header, its framing); `field` names the part when known.' },
  unauthorized: { status: 401, message: 'The bearer token is missing or not valid.' },
  admin_disabled: { status: 403, message: 'The admin routes are disabled: the service runs without VIX_TTL_ADMIN_TOKEN.' },
  not_found: { status: 404, message: 'No route answers this method and path.' },
  method_not_allowed: { status: 405, message: 'The method is not allowed (CONNECT: the service is not a proxy).' },
  request_timeout: { status: 408, message: 'The request did not arrive within the request timeout.' },
  body_too_large: { status: 413, message: 'The body is larger than the route takes.' },
  too_many_ticks: { status: 413, message: 'The tick batch holds more ticks than one batch may.' },
  too_many_items: { status: 413, message: 'The decision batch holds more requests than one batch may.' },
  unsupported_media_type: { status: 415, message: 'The body is not application/json.' },
  expectation_failed: { status: 417, message: 'An Expect header other than 100-continue.' },
  busy: { status: 429, message: 'The service takes no more of this work right now; retry after Retry-After seconds.' },
  headers_too_large: { status: 431, message: "The request line and headers exceed Node's header limit." },
  internal_error: { status: 500, message: 'A fault of the service; the details are in its log, never in the answer.' },
  shutting_down: { status: 503, message: 'The service is shutting down; retry on another instance.' },
  too_many_clients: { status: 503, message: 'The event stream has as many clients as it takes.' },
  store_unavailable: { status: 503, message: 'The panic store (Redis) did not answer, or failed.' },
  metrics_unavailable: { status: 503, message: 'The metrics could not be gathered (a cluster primary that did not answer).' },
  vix_unavailable: { status: 503, message: 'The VIX engine could not be reached (a cluster primary that did not answer).' },
  upstream_timeout: { status: 504, message: 'A backend (a cache loader) did not answer within its bound.' },
} as const satisfies Record<string, HttpErrorEntry>);

/** The stable `error` values of the service's JSON error bodies. */
export type HttpErrorName = keyof typeof HTTP_ERRORS;

/** One error code of the catalogue: the HTTP error it is answered with, and what it means. */
export interface ErrorCodeEntry {
  readonly http: HttpErrorName;
  readonly message: string;
}

/**
 * Every `code` a vix-ttl error carries, the HTTP error the service answers it
 * with, and what it means. Every `VixTtlError` takes its code from here (the
 * constructor's type allows no other), and the service's error handler maps a
 * library error to its status through it. The codes are stable: callers branch on
 * them instead of parsing messages.
 */
export const ERROR_CODES = Object.freeze({
  VIX_TTL_INVALID_INPUT: { http: 'invalid_body', message: 'A call received a value it cannot work with; `field` names the argument.' },
  VIX_TTL_INVALID_CONFIG: { http: 'internal_error', message: 'An options object was rejected at construction; `field` is its dotted path.' },
  VIX_TTL_STORE_ERROR: { http: 'store_unavailable', message: 'The panic store (Redis) failed or answered something unusable.' },
  VIX_TTL_STORE_TIMEOUT: { http: 'store_unavailable', message: 'The panic store did not answer within the timeout.' },
  VIX_TTL_STORE_BUSY: { http: 'store_unavailable', message: 'The command was not sent: earlier ones to the store are still unanswered.' },
  VIX_TTL_LOAD_TIMEOUT: { http: 'upstream_timeout', message: 'A cache loader did not settle within loadTimeout.hard.' },
  VIX_TTL_OVERLOADED: { http: 'busy', message: 'The cache already runs as many loads as maxConcurrentLoads allows and had no recent entry to serve.' },
  VIX_TTL_CLOSED: { http: 'shutting_down', message: 'The component was closed and takes no more calls.' },
  VIX_TTL_VIX_BUSY: { http: 'busy', message: 'The VIX engine already holds as many tick batches as it takes.' },
  VIX_TTL_VIX_UNAVAILABLE: { http: 'vix_unavailable', message: 'The VIX engine could not be reached (a cluster primary that did not answer).' },
  VIX_TTL_CLUSTER_METRICS: { http: 'metrics_unavailable', message: "The cluster primary could not gather the workers' metrics." },
  VIX_TTL_TICK_FILE: { http: 'bad_request', message: 'A tick file could not be read or is not of a known format.' },
  VIX_TTL_USAGE: { http: 'bad_request', message: 'A command line the CLI cannot run (unknown flag, missing value).' },
  VIX_TTL_CONFIG_FILE: { http: 'internal_error', message: 'The service config file (--config, VIX_TTL_CONFIG) cannot be read or breaks a rule; `field` is its path in the file.' },
  VIX_TTL_HTTP_ERROR: { http: 'bad_request', message: 'A request the service refuses; the HttpError names its own `error` (and so its status).' },
} as const satisfies Record<string, ErrorCodeEntry>);

/** A stable error code: one of the keys of {@link ERROR_CODES}. */
export type VixTtlErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status of an error name (500 for a name outside the catalogue). */
export function httpStatusOf(name: HttpErrorName): number {
  return Object.hasOwn(HTTP_ERRORS, name) ? HTTP_ERRORS[name].status : HTTP_ERRORS.internal_error.status;
}

/** The HTTP error and status an error code is answered with (`internal_error` for a code outside the catalogue). */
export function httpErrorOf(code: string): { status: number; error: HttpErrorName } {
  const error: HttpErrorName = Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as VixTtlErrorCode].http : 'internal_error';
  return { status: HTTP_ERRORS[error].status, error };
}
