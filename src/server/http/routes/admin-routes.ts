import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PanicClock } from '../../../clock/panic-clock.js';
import { normalizeScope } from '../../../clock/scope.js';
import { withTimeout } from '../../../core/with-timeout.js';
import type { ApiOperation } from '../api-operation.js';
import { ADMIN_CREDENTIAL, bearerAuthorizer } from '../bearer-auth.js';
import { messageOf } from '../../../core/errors.js';
import { HttpError, type HttpErrorName } from '../http-error.js';
import { parseBody } from '../parse-body.js';
import { adminPanicSchema, adminResetSchema } from '../request-schemas.js';
import { adminPanicAnswerSchema, adminResetAnswerSchema, type AdminPanicAnswer, type AdminResetAnswer } from '../response-schemas.js';

const ADMIN_ERRORS: readonly HttpErrorName[] = ['invalid_body', 'invalid_json', 'unauthorized', 'admin_disabled', 'body_too_large', 'unsupported_media_type', 'store_unavailable'];

/** What the OpenAPI document says of {@link registerAdminRoutes}' routes. */
export const adminOperations: readonly ApiOperation[] = [
  {
    method: 'POST',
    path: '/v1/admin/panic',
    operationId: 'startDrillPanic',
    tag: 'admin',
    summary: 'Start a drill panic',
    description: "Starts (or restarts) a scope's panic on the shared clock, backdated by ageMinutes (at most seven days), for drills and demos. Logged. The body may be omitted (the global scope, now).",
    security: 'admin',
    body: { schema: adminPanicSchema, required: false },
    responses: { 200: { description: 'The drill panic started.', content: { 'application/json': adminPanicAnswerSchema } } },
    errors: ADMIN_ERRORS,
  },
  {
    method: 'POST',
    path: '/v1/admin/reset',
    operationId: 'resetPanic',
    tag: 'admin',
    summary: "End a scope's panic",
    description: "Deletes a scope's panic start from the shared clock (every worker then decides without panic). Logged. The body may be omitted (the global scope).",
    security: 'admin',
    body: { schema: adminResetSchema, required: false },
    responses: { 200: { description: 'The panic ended, or there was none.', content: { 'application/json': adminResetAnswerSchema } } },
    errors: ADMIN_ERRORS,
  },
];

/** What admin routes need. */
export interface AdminDeps {
  clock: PanicClock;
  /** Null disables admin routes (403). */
  adminToken: string | null;
  /** Longest wait for the store on an admin call. */
  timeoutMs: number;
  /** Called with the scope an admin call touched (the dashboard tracks it and pushes the change). */
  onChange: (scope: string) => void;
}

/**
 * `POST /v1/admin/panic` `{ scope?, ageMinutes? }` starts a drill panic (backdated by
 * `ageMinutes`), `POST /v1/admin/reset` `{ scope? }` ends a scope's panic. Both need
 * `Authorization: Bearer $VIX_TTL_ADMIN_TOKEN`, checked before the body is read, and
 * are logged. Without a configured token they answer 403 `admin_disabled`.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const authorize = deps.adminToken === null ? adminDisabled : bearerAuthorizer(deps.adminToken, ADMIN_CREDENTIAL);
  const onRequest = async (request: FastifyRequest) => authorize(request);

  app.post('/v1/admin/panic', { onRequest }, async (request): Promise<AdminPanicAnswer> => {
    const body = parseBody(adminPanicSchema, request.body ?? {});
    const scope = normalizeScope(body.scope);
    const ageMinutes = body.ageMinutes ?? 0;
    const observation = await store(withTimeout(deps.clock.startPanic(scope, { ageMs: ageMinutes * 60_000 }), deps.timeoutMs));
    request.log.info({ reqId: request.id, scope, age_minutes: ageMinutes, ip: request.ip }, 'VIX_TTL_ADMIN_PANIC_STARTED');
    deps.onChange(scope);
    return { scope, active: true, startedAt: new Date(observation.startedAtMs!).toISOString(), ageMinutes };
  });

  app.post('/v1/admin/reset', { onRequest }, async (request): Promise<AdminResetAnswer> => {
    const body = parseBody(adminResetSchema, request.body ?? {});
    const scope = normalizeScope(body.scope);
    const ended = await store(withTimeout(deps.clock.reset(scope), deps.timeoutMs));
    request.log.info({ reqId: request.id, scope, ended, ip: request.ip }, 'VIX_TTL_ADMIN_PANIC_RESET');
    deps.onChange(scope);
    return { scope, ended };
  });
}

async function store<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw new HttpError('store_unavailable', null, `the panic store did not answer: ${messageOf(error)}`);
  }
}

function adminDisabled(): never {
  throw new HttpError('admin_disabled', null, 'admin routes are disabled: start the service with VIX_TTL_ADMIN_TOKEN set');
}
