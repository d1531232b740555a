import { VixTtlError } from '../../core/errors.js';

/** The stable `error` values of the service's JSON error bodies. */
export type HttpErrorName =
  | 'invalid_body'
  | 'invalid_json'
  | 'body_too_large'
  | 'too_many_ticks'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'admin_disabled'
  | 'not_found'
  | 'headers_too_large'
  | 'request_timeout'
  | 'expectation_failed'
  | 'shutting_down'
  | 'method_not_allowed'
  | 'too_many_clients'
  | 'store_unavailable'
  | 'metrics_unavailable'
  | 'vix_unavailable'
  | 'busy'
  | 'bad_request'
  | 'internal_error';

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
