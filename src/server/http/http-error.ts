import { HTTP_ERRORS, httpStatusOf, type HttpErrorName } from '../../core/error-catalogue.js';
import { VixTtlError } from '../../core/errors.js';

/**
 * Every stable `error` value of the service's JSON error bodies, with the HTTP status it
 * comes with, from the error catalogue (`HTTP_ERRORS`). The OpenAPI document's `Error`
 * schema and each route's documented error answers are built from it.
 */
export const HTTP_ERROR_STATUS: Readonly<Record<HttpErrorName, number>> = Object.freeze(
  Object.fromEntries(Object.entries(HTTP_ERRORS).map(([name, entry]) => [name, entry.status])) as Record<HttpErrorName, number>,
);

/** Every {@link HttpErrorName}, in the catalogue's order (by status). */
export const HTTP_ERROR_NAMES = Object.freeze(Object.keys(HTTP_ERRORS) as HttpErrorName[]);

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

/** A 400 for a body field: `field` is the dotted path (see {@link boundedField}), the message starts with it. */
export function invalidBody(field: string, rule: string): HttpError {
  const named = boundedField(field);
  return new HttpError('invalid_body', named, `${named} ${rule}`);
}

/** Longest field path an error answer names in full. */
export const MAX_FIELD_LENGTH = 200;

/**
 * A field path as an error answer names it: in full up to {@link MAX_FIELD_LENGTH}
 * characters, else its start and its end around `…`. A body's keys are the client's
 * (a key may be as long as the body), and the answer names the field twice (field and
 * message): without the bound an answer could be larger than the body it refuses.
 */
export function boundedField(field: string): string {
  if (field.length <= MAX_FIELD_LENGTH) return field;
  const half = (MAX_FIELD_LENGTH - 1) / 2;
  return `${field.slice(0, Math.ceil(half))}…${field.slice(-Math.floor(half))}`;
}
