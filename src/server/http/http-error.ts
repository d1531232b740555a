import { VixTtlError } from '../../core/errors.js';

/**
 * Every stable `error` value of the service's JSON error bodies, with the HTTP status it
 * comes with. The OpenAPI document's `Error` schema and each route's documented error
 * answers are built from this list, so a new name is documented by adding it here.
 */
export const HTTP_ERROR_STATUS = Object.freeze({
  invalid_body: 400,
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  admin_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  body_too_large: 413,
  too_many_ticks: 413,
  unsupported_media_type: 415,
  expectation_failed: 417,
  busy: 429,
  headers_too_large: 431,
  internal_error: 500,
  shutting_down: 503,
  too_many_clients: 503,
  store_unavailable: 503,
  metrics_unavailable: 503,
  vix_unavailable: 503,
} as const);

/** The stable `error` values of the service's JSON error bodies. */
export type HttpErrorName = keyof typeof HTTP_ERROR_STATUS;

/** Every {@link HttpErrorName}, in the order of {@link HTTP_ERROR_STATUS} (by status). */
export const HTTP_ERROR_NAMES = Object.freeze(Object.keys(HTTP_ERROR_STATUS) as HttpErrorName[]);

/**
 * A request the service refuses, with the HTTP status, a stable `error` name and
 * the field at fault (a dotted path such as `match.league`, or `body`). Rendered as
 * `{ error, field, message }` by the error handler.
 */
export class HttpError extends VixTtlError {
  readonly statusCode: number;
  readonly error: HttpErrorName;
  readonly field: string | null;
  /** Headers the error response carries (a 401's `WWW-Authenticate` challenge). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(statusCode: number, error: HttpErrorName, field: string | null, message: string, headers: Readonly<Record<string, string>> = {}) {
    super('VIX_TTL_HTTP_ERROR', message);
    this.statusCode = statusCode;
    this.error = error;
    this.field = field;
    this.headers = headers;
  }
}

/** A 400 for a body field: `field` is the dotted path, the message starts with it. */
export function invalidBody(field: string, rule: string): HttpError {
  return new HttpError(400, 'invalid_body', field, `${field} ${rule}`);
}
