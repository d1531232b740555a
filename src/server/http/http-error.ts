import { httpStatusOf, type HttpErrorName } from '../../core/error-catalogue.js';
import { VixTtlError } from '../../core/errors.js';

export type { HttpErrorName };

/**
 * A request the service refuses, with a stable `error` name (its HTTP status comes
 * from the error catalogue, `HTTP_ERRORS`) and the field at fault (a dotted path
 * such as `match.league`, or `body`). Rendered as `{ error, field, message }` by
 * the error handler.
 */
export class HttpError extends VixTtlError {
  static override readonly code = 'VIX_TTL_HTTP_ERROR';
  /** The HTTP status of `error`, from the catalogue. */
  readonly statusCode: number;
  readonly error: HttpErrorName;
  readonly field: string | null;
  /** Headers the error response carries (a 401's `WWW-Authenticate` challenge, a 429's `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(error: HttpErrorName, field: string | null, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(HttpError.code, message);
    this.statusCode = httpStatusOf(error);
    this.error = error;
    this.field = field;
    this.headers = headers;
  }
}

/** A 400 for a body field: `field` is the dotted path, the message starts with it. */
export function invalidBody(field: string, rule: string): HttpError {
  return new HttpError('invalid_body', field, `${field} ${rule}`);
}
