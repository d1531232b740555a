import type { z } from 'zod';
import type { HttpErrorName } from './http-error.js';

/** A response header an operation documents (`Retry-After`, `WWW-Authenticate`, `ETag`…). */
export interface ApiHeader {
  description: string;
  /** Whether every response of this status carries it. Default false. */
  required?: boolean;
}

/** A `text/event-stream` body: the JSON data of each kind of event (documented as `x-events`), by event name. */
export interface ApiEventStream {
  events: Readonly<Record<string, z.ZodType>>;
}

/** One answer of an operation other than an error: its body per content type. */
export interface ApiResponse {
  description: string;
  /**
   * The body by content type: a named zod schema (see `apiSchema`) for JSON, `'text'`
   * for a text body (Prometheus metrics, the dashboard's files), the events of an
   * event stream. Absent: no body (a 304).
   */
  content?: Readonly<Record<string, z.ZodType | 'text' | ApiEventStream>>;
  headers?: Readonly<Record<string, ApiHeader>>;
}

/**
 * What the OpenAPI document says of one route: declared next to the route's code
 * (`routes/*-routes.ts`) and gathered by `openApiDocument()`. The error answers are
 * listed by name; their statuses come from `HTTP_ERROR_STATUS`, and the errors any
 * request can get (a malformed request, a timeout, shutdown…) are added to every
 * operation by the document.
 */
export interface ApiOperation {
  method: 'GET' | 'POST';
  /** The path in OpenAPI form (`/assets/{file}`). */
  path: string;
  /** Stable and unique: client generators name their functions after it. */
  operationId: string;
  summary: string;
  description?: string;
  tag: 'decisions' | 'ticks' | 'state' | 'health' | 'admin' | 'dashboard' | 'meta';
  /** The bearer token the route asks for: `api` and `metrics` only when the service has one (optional), `admin` always. */
  security?: 'api' | 'admin' | 'metrics';
  /** The JSON body: a named zod schema, the one that validates it (or its documented form). */
  body?: { schema: z.ZodType; required: boolean };
  /** Path parameters: name → schema and description. */
  pathParameters?: Readonly<Record<string, { schema: z.ZodType; description: string }>>;
  /** Request headers the route reads besides `Authorization` and `Content-Type`. */
  headerParameters?: Readonly<Record<string, { description: string }>>;
  /** Answers other than errors, by status. */
  responses: Readonly<Record<number, ApiResponse>>;
  /** The route's own error answers, by name (the statuses follow from the names). */
  errors: readonly HttpErrorName[];
  /** Extra words for an error answer of this route, by name (why it happens here). */
  errorNotes?: Partial<Readonly<Record<HttpErrorName, string>>>;
}
