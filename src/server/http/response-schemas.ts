import { z } from 'zod';
import type { EvictionPolicy } from '../../clock/panic-clock.js';
import { PanicMode } from '../../policy/panic-mode.js';
import type { FailSafeReason, ShadowDecision, TtlDecision } from '../../policy/ttl-decision.js';
import { REJECT_REASONS, type RejectReason } from '../../vix/tick.js';
import type { ImportanceView, RatesView, ScopeStateView, ServiceStateSnapshot, ShadowImportanceView, ShadowView, VixSummary } from '../state/service-state.js';
import type { StoreHealthReport } from '../state/store-health.js';
import type { TickBatchAnswer, VixReading, VixTransitionView } from '../vix/vix-source.js';
import { apiSchema } from './api-registry.js';
import { HTTP_ERROR_NAMES, type HttpErrorName } from './http-error.js';
import { importanceSchema, vixStatusSchema } from './request-schemas.js';

// What the service answers, as zod schemas: the OpenAPI document is generated from them,
// the HTTP tests check every response against that document, and the types of the
// answers built here are derived from them. Objects are strict, so a field added to an
// answer without its schema fails those checks. Nothing here is parsed at run time.

/** Why a decision fell back to TTL 0; the same list as the `FailSafeReason` type (checked at compile time below). */
export const FAIL_SAFE_REASONS = Object.freeze(['no_clock', 'store_timeout', 'store_error', 'store_busy', 'corrupt_value_repaired', 'scope_limit'] as const);

const isoTime = (description: string) => z.iso.datetime().meta({ description });
const count = () => z.int().min(0);
const nullableIso = (description: string) => z.iso.datetime().nullable().meta({ description });

/** One of the `PanicMode` constants. */
export const panicModeSchema = apiSchema(
  'PanicMode',
  'The cache mode of a decision: NORMAL (tier 0, no panic), then PANIC_FULL, PANIC_PARTIAL, DEGRADED and NEW_NORMAL (tiers 1–4) as a panic lasts.',
  z.enum(Object.values(PanicMode) as [PanicMode, ...PanicMode[]]),
);

/** A tier number, 0–4. */
export const tierSchema = apiSchema('Tier', 'Tier of a decision: 0 without panic, 1–4 during one.', z.literal([0, 1, 2, 3, 4]));

/** Why a decision fell back to TTL 0. */
export const failSafeReasonSchema = apiSchema(
  'FailSafeReason',
  'Why a decision fell back to TTL 0 instead of using the shared panic start: no_clock, store_timeout, store_error, store_busy, corrupt_value_repaired, scope_limit.',
  z.enum(FAIL_SAFE_REASONS),
);

/** Why a tick was not used. */
export const rejectReasonSchema = apiSchema(
  'RejectReason',
  'Why a tick was not used: invalid (malformed, missing_field, bad_market, bad_price, bad_ts, future_ts, bad_scope, too_many_scopes) or redundant (out_of_order, duplicate).',
  z.enum(REJECT_REASONS as [RejectReason, ...RejectReason[]]),
);

/** The fields of a decision, shared by the decision and its shadow. */
const decisionShape = {
  ttl: z.number().min(0).meta({ description: 'Seconds the data may be cached; 0 means always fetch fresh.' }),
  mode: panicModeSchema,
  tier: tierSchema,
  importance: importanceSchema,
  panicDurationMin: z.number().min(0).nullable().meta({ description: 'Minutes of continuous panic; null without a panic (or when it could not be read).' }),
  nextTierInMin: z.number().min(0).nullable().meta({ description: 'Minutes until the next tier; null at tier 4 and without a panic.' }),
  failSafe: z.boolean().meta({ description: 'True when the decision is TTL 0 because the panic start could not be had reliably.' }),
  reason: failSafeReasonSchema.optional(),
};

/** The decision a service in shadow mode would have applied (`TtlDecision.shadow`). */
export const shadowDecisionSchema = apiSchema(
  'ShadowDecision',
  'The decision vix-ttl would have applied, had the service not run in shadow mode (a fail-safe one included): the fields of a TtlDecision.',
  z.strictObject(decisionShape),
);

/** `POST /v1/ttl`'s answer: the `TtlDecision` of the library. */
export const ttlDecisionSchema = apiSchema(
  'TtlDecision',
  'How long to cache, and why. A service in shadow mode (serve --shadow) answers the base TTL (mode NORMAL, tier 0: what the caller does without vix-ttl) and puts the decision that would have applied in shadow.',
  z.strictObject({
    ...decisionShape,
    shadow: shadowDecisionSchema
      .optional()
      .meta({ description: 'Only in shadow mode: the decision that would have applied. The fields above are then the base TTL, unchanged by any panic or fail-safe.' }),
  }),
);

const tickCounts = z.strictObject(Object.fromEntries(REJECT_REASONS.map((reason) => [reason, count()])) as Record<RejectReason, ReturnType<typeof count>>);

/** `POST /v1/ticks`'s answer. */
export const tickBatchAnswerSchema = apiSchema(
  'TickBatchAnswer',
  'What the VIX engine did with a batch: ticks accepted and not used, by reason, with the first few ticks not used.',
  z.strictObject({
    accepted: count(),
    rejected: count(),
    byReason: tickCounts.partial().meta({ description: 'Ticks not used in this batch, by reason (only the reasons that occurred).' }),
    rejections: z
      .array(
        apiSchema(
          'TickRejection',
          'A tick not used: its position in the batch, the reason, and whether it was invalid (reject) or redundant (ignore).',
          z.strictObject({ index: count(), reason: rejectReasonSchema, rule: z.enum(['reject', 'ignore']) }),
        ),
      )
      .meta({ description: 'The first ticks not used (at most 20).' }),
  }),
);

/** The `maxmemory-policy` of the store, and whether it can evict panic starts. */
export const evictionSchema = apiSchema(
  'EvictionPolicy',
  "Redis's maxmemory-policy and whether it can evict panic starts (not part of readiness); checkedAtMs is null until the first answer.",
  z.strictObject({
    policy: z.string().nullable(),
    canEvictPanicStarts: z.boolean().nullable(),
    detail: z.string().nullable(),
    checkedAtMs: z.number().nullable(),
  }),
);

/** The last answer of the store to a health check. */
export const storeHealthSchema = apiSchema(
  'StoreHealth',
  "The panic clock's store as the last health check saw it (the clock's read-only script on the global scope).",
  z.strictObject({
    kind: z.string().meta({ description: 'memory or redis.' }),
    up: z.boolean(),
    latencyMs: z.number().min(0).nullable(),
    error: z.string().nullable().meta({ description: 'Why the store is considered down (store_timeout, store_busy, store_error: …), or null.' }),
    checkedAtMs: z.number(),
    eviction: evictionSchema.nullable().meta({ description: 'Null for a store that never evicts (memory).' }),
  }),
);

/** Decisions per second, in total and per tier. */
export const ratesSchema = apiSchema(
  'DecisionRates',
  'Decisions per second, in total and per tier (byTier[0] without panic … byTier[4]).',
  z.strictObject({ total: z.number().min(0), byTier: z.array(z.number().min(0)).length(5) }),
);

/** What a scope's panic means for one importance. */
export const importanceViewSchema = apiSchema(
  'ImportanceTier',
  "What a scope's panic means for one importance right now, at the service's displayBaseTtl.",
  z.strictObject({
    tier: tierSchema,
    mode: panicModeSchema,
    ttl: z.number().min(0),
    nextTierInMin: z.number().min(0).nullable(),
    failSafe: z.boolean(),
    reason: failSafeReasonSchema.optional(),
  }),
);

/** A scope's VIX. */
export const vixReadingSchema = apiSchema(
  'VixReading',
  "A scope's volatility index and status; an external VIX provider may give only index and status.",
  z.strictObject({
    index: z.number(),
    status: vixStatusSchema,
    warm: z.boolean().optional().meta({ description: 'False while the engine warms the scope up (its status stays calm until then).' }),
    since: nullableIso('Tick time of the last status change; null while always calm.').optional(),
    pending: z
      .strictObject({ status: vixStatusSchema, inMs: z.number() })
      .nullable()
      .optional()
      .meta({ description: 'A status change under way, and in how many ms of tick time it happens if the index holds.' }),
    lastTickAt: isoTime("Tick time of the scope's newest tick.").optional(),
    ticks: count().optional(),
  }),
);

/** One scope of the service state. */
export const scopeStateSchema = apiSchema(
  'ScopeState',
  'One scope: its panic as this process last read it, the tier per importance, decisions, fail-safe state and VIX.',
  z.strictObject({
    scope: z.string(),
    panic: z
      .strictObject({
        active: z.boolean(),
        startedAt: nullableIso('When the panic started (on the store clock).'),
        durationMs: z.number().min(0).nullable(),
        inGrace: z.boolean().nullable(),
        expiresInMs: z.number().min(0).nullable(),
        corrupt: z.string().nullable(),
        source: z.enum(['decision', 'inspection']),
        ageMs: z.number().min(0),
      })
      .nullable()
      .meta({ description: "The shared clock's view of the panic, carried forward to now; null when it could not be read." }),
    error: z.string().nullable().meta({ description: 'Why the panic could not be read (store_timeout, not_read_yet…), or null.' }),
    tiers: z
      .strictObject({ high_stakes: importanceViewSchema, medium_stakes: importanceViewSchema, low_stakes: importanceViewSchema })
      .nullable()
      .meta({ description: 'Tier and TTL per importance; null when the panic is unknown.' }),
    maxTier: tierSchema,
    decisions: count(),
    decisionsPerSecond: ratesSchema,
    failSafe: z.strictObject({ active: z.boolean(), reason: z.string().nullable(), since: nullableIso('When the fail-safe began.') }),
    vix: vixReadingSchema.nullable(),
  }),
);

/** A VIX status change. */
export const vixTransitionSchema = apiSchema(
  'VixTransition',
  'A VIX status change (also the data of the transition event of GET /v1/events), numbered by seq.',
  z.strictObject({
    seq: count(),
    scope: z.string(),
    from: vixStatusSchema,
    to: vixStatusSchema,
    ts: z.number().meta({ description: 'Tick time of the change, ms since the Unix epoch.' }),
    at: isoTime('Tick time of the change.'),
    index: z.number(),
    cause: z.enum(['index', 'idle', 'evicted']),
  }),
);

/** The VIX engine in the service state. */
export const vixSummarySchema = apiSchema(
  'VixSummary',
  "The service's VIX engine: where it runs, ticks by result, thresholds, the latest transitions.",
  z.strictObject({
    location: z.enum(['engine', 'primary']).meta({ description: 'engine: in the process that answered; primary: in the cluster primary (its latest sample).' }),
    sampledAt: isoTime('Wall-clock time of the sample.'),
    timeMs: z.number().nullable().meta({ description: 'Newest tick time the engine has seen (ms), null before the first tick.' }),
    totalScopes: count(),
    ticks: z.strictObject({ accepted: count(), rejected: count(), byReason: tickCounts }),
    transitions: count(),
    thresholds: z.strictObject({
      elevated: z.strictObject({ enter: z.number(), exit: z.number() }),
      panic: z.strictObject({ enter: z.number(), exit: z.number() }),
    }),
    recent: z.array(vixTransitionSchema).meta({ description: 'The latest transitions, oldest first.' }),
    publishing: z.boolean().meta({ description: 'Whether the statuses are written to the panic clock (publisher mode).' }),
  }),
);

/** What shadow mode would have changed for one importance (`ServiceState.shadow.byImportance`). */
export const shadowImportanceSchema = apiSchema(
  'ShadowImportance',
  'What shadow mode would have changed for one importance, in this process since it started.',
  z.strictObject({
    decisions: count().meta({ description: 'Shadow decisions taken.' }),
    fresherDecisions: count().meta({ description: 'Of those, the ones whose TTL would have been shorter than the base TTL served.' }),
    fresherMinutes: z.number().min(0).meta({ description: 'Time-weighted scope-minutes (service clock) during which callers served data vix-ttl would have served fresher.' }),
    freshMinutes: z.number().min(0).meta({ description: 'Of those, the minutes at TTL 0 (tier 1, fail-safe included): fresh data.' }),
  }),
);

/** Shadow mode in the service state. */
export const shadowStateSchema = apiSchema(
  'ShadowState',
  'Whether the service runs in shadow mode (serve --shadow, VIX_TTL_SHADOW, breaker.shadow). In shadow mode callers are served their base TTL (served) while the tiers of the scopes are what vix-ttl decides; byImportance sums up what it would have changed. Live: served and byImportance are null, and callers get the tiers shown.',
  z.strictObject({
    active: z.boolean(),
    served: z
      .strictObject({ ttl: z.number().min(0), mode: z.literal('NORMAL'), tier: z.literal(0) })
      .nullable()
      .meta({ description: 'What callers get for displayBaseTtl in shadow mode: the base TTL, mode NORMAL, tier 0; null when live.' }),
    byImportance: z
      .strictObject({ high_stakes: shadowImportanceSchema, medium_stakes: shadowImportanceSchema, low_stakes: shadowImportanceSchema })
      .nullable()
      .meta({ description: 'What shadow would have changed so far, per importance; null when live.' }),
  }),
);

/** `GET /v1/state`'s answer, also the data of the `state` event of `GET /v1/events`. */
export const serviceStateSchema = apiSchema(
  'ServiceState',
  'Every tracked scope (global first) with its panic, tiers per importance, decisions and VIX; store health; the extended-panic alert; the VIX engine. Also the data of the state event of GET /v1/events.',
  z.strictObject({
    generatedAt: isoTime('When the snapshot was built.'),
    clockNowMs: z.number().meta({ description: "The panic clock's time (accelerated in the demo), ms." }),
    worker: z.strictObject({ pid: z.int() }),
    clock: z.strictObject({ kind: z.string(), timeScale: z.number(), accelerated: z.boolean(), label: z.string() }),
    store: storeHealthSchema,
    displayBaseTtl: z.number().meta({ description: 'Base TTL the per-importance TTLs are shown for.' }),
    shadow: shadowStateSchema,
    decisionsPerSecond: ratesSchema,
    alert: z
      .strictObject({
        active: z.boolean(),
        tier: tierSchema,
        scopes: z.array(z.strictObject({ scope: z.string(), importance: importanceSchema, tier: tierSchema, mode: panicModeSchema })),
      })
      .meta({ description: 'An extended panic (tier 3 or 4) somewhere.' }),
    vix: vixSummarySchema.nullable(),
    scopes: z.array(scopeStateSchema),
  }),
);

/** `GET /healthz`'s answer. */
export const healthSchema = apiSchema(
  'Health',
  'The process serves.',
  z.strictObject({ status: z.literal('ok'), pid: z.int(), uptimeSeconds: count() }),
);

/** `GET /readyz`'s answer (200 ready, 503 unready). */
export const readinessSchema = apiSchema(
  'Readiness',
  'ready while the store runs the clock\'s read-only script within the ready timeout (200), unready otherwise (503).',
  z.strictObject({ status: z.enum(['ready', 'unready']), store: storeHealthSchema }),
);

/** `POST /v1/admin/panic`'s answer. */
export const adminPanicAnswerSchema = apiSchema(
  'AdminPanicAnswer',
  'The drill panic started: its scope, its start and how far it was backdated.',
  z.strictObject({ scope: z.string(), active: z.literal(true), startedAt: isoTime('When the panic started, after backdating.'), ageMinutes: z.number().min(0) }),
);

/** `POST /v1/admin/reset`'s answer. */
export const adminResetAnswerSchema = apiSchema(
  'AdminResetAnswer',
  'The scope whose panic was ended, and whether there was one to end.',
  z.strictObject({ scope: z.string(), ended: z.boolean() }),
);

/** The JSON body of every error. */
export const errorBodySchema = apiSchema(
  'Error',
  'Every error the service answers, whatever the route (or none): a stable name, the field at fault and a message naming it and the value.',
  z.strictObject({
    error: z.enum(HTTP_ERROR_NAMES as [HttpErrorName, ...HttpErrorName[]]).meta({ description: 'The stable name of the error; each response of the document lists the ones it can carry.' }),
    field: z.string().nullable().meta({ description: 'The field at fault (a dotted path such as match.league, body, authorization, content-type…), or null when no single part is.' }),
    message: z.string(),
  }),
);

/** `POST /v1/ttl/batch`'s answer: per item, in input order, its decision or the error the single route would answer for it. */
export const ttlBatchAnswerSchema = apiSchema(
  'TtlBatchAnswer',
  'One answer per item, in the order of the request: a TtlDecision, or, for an item that is not a valid decision request (or could not be decided), the Error that POST /v1/ttl answers for that item sent alone as its body (field relative to the item).',
  z.strictObject({
    items: z.array(z.union([ttlDecisionSchema, errorBodySchema])).meta({ description: 'As many answers as items, in the same order.' }),
  }),
);

/** The OpenAPI document itself, as `GET /openapi.json` serves it. */
export const openApiDocumentSchema = apiSchema(
  'OpenApiDocument',
  'This OpenAPI 3.1 document.',
  z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.looseObject({}), components: z.looseObject({}) }),
);

/** `GET /healthz`'s answer. */
export type HealthAnswer = z.output<typeof healthSchema>;
/** `GET /readyz`'s answer. */
export type ReadinessAnswer = z.output<typeof readinessSchema>;
/** `POST /v1/admin/panic`'s answer. */
export type AdminPanicAnswer = z.output<typeof adminPanicAnswerSchema>;
/** `POST /v1/admin/reset`'s answer. */
export type AdminResetAnswer = z.output<typeof adminResetAnswerSchema>;

// Compile time: the lists above are the unions the code uses, and each schema has the
// fields of the type the code builds the answer as, neither more nor fewer (the HTTP
// tests check the values of every answer against the document at run time).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SameKeys<Code, Schema extends z.ZodType> = Same<keyof Code, keyof z.output<Schema>>;
type Assert<T extends true> = T;
/** Compile-time checks only (each element fails to compile when a schema and its type part ways); not for use. */
export type _SchemasMatchTheCode = [
  Assert<Same<(typeof FAIL_SAFE_REASONS)[number], FailSafeReason>>,
  Assert<SameKeys<TtlDecision, typeof ttlDecisionSchema>>,
  Assert<SameKeys<ShadowDecision, typeof shadowDecisionSchema>>,
  Assert<SameKeys<TickBatchAnswer, typeof tickBatchAnswerSchema>>,
  Assert<SameKeys<TickBatchAnswer['rejections'][number], typeof tickBatchAnswerSchema.shape.rejections.element>>,
  Assert<SameKeys<EvictionPolicy & { checkedAtMs: number | null }, typeof evictionSchema>>,
  Assert<SameKeys<StoreHealthReport, typeof storeHealthSchema>>,
  Assert<SameKeys<RatesView, typeof ratesSchema>>,
  Assert<SameKeys<ImportanceView, typeof importanceViewSchema>>,
  Assert<SameKeys<VixReading, typeof vixReadingSchema>>,
  Assert<SameKeys<ScopeStateView, typeof scopeStateSchema>>,
  Assert<Same<keyof NonNullable<ScopeStateView['panic']>, keyof NonNullable<z.output<typeof scopeStateSchema.shape.panic>>>>,
  Assert<SameKeys<ScopeStateView['failSafe'], typeof scopeStateSchema.shape.failSafe>>,
  Assert<SameKeys<VixTransitionView, typeof vixTransitionSchema>>,
  Assert<SameKeys<VixSummary, typeof vixSummarySchema>>,
  Assert<SameKeys<ServiceStateSnapshot, typeof serviceStateSchema>>,
  Assert<SameKeys<ServiceStateSnapshot['alert'], typeof serviceStateSchema.shape.alert>>,
  Assert<SameKeys<ShadowView, typeof shadowStateSchema>>,
  Assert<SameKeys<ShadowImportanceView, typeof shadowImportanceSchema>>,
];
