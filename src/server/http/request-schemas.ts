import { z } from 'zod';
import { IMPORTANCES } from '../../policy/importance.js';
import { VIX_STATUSES } from '../../policy/vix-status.js';
import { apiSchema } from './api-registry.js';

/** Longest base TTL accepted over HTTP: one year, in seconds. */
export const MAX_BASE_TTL = 31_536_000;

/** Longest league or match-type name accepted over HTTP. */
export const MAX_NAME_LENGTH = 100;

/** Longest backdating of a drill panic: seven days, in minutes. */
export const MAX_DRILL_AGE_MIN = 10_080;

/**
 * A scope name as a request may give it: the clock's rule (`isValidScope`: 1–64
 * characters of `A-Z a-z 0-9 : _ . -`), or empty for the global scope. A regex rather
 * than a refinement, so that the OpenAPI document carries it as the `pattern`.
 */
const SCOPE_REGEX = /^[A-Za-z0-9:_.-]{0,64}$/;

const name = z
  .string({ error: 'must be a string' })
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`);

/** A scope name in a request body: a league, a match id…; empty or absent is the global scope. */
export const scopeSchema = apiSchema(
  'Scope',
  'A scope name (a league, a match id…): 1–64 characters of A-Z a-z 0-9 : _ . -; empty or absent is the global scope.',
  z.string({ error: 'must be a string' }).regex(SCOPE_REGEX, 'must be 1–64 characters of A-Z a-z 0-9 : _ . -'),
);

/** How much a match matters (shared by requests and responses; the message is the requests'). */
export const importanceSchema = apiSchema(
  'Importance',
  'How much a match matters: it sets how long a panic may keep the cache off.',
  z.enum(IMPORTANCES, { error: 'must be high_stakes, medium_stakes or low_stakes' }),
);

/** A market's status (shared by requests and responses; the message is `POST /v1/ttl`'s). */
export const vixStatusSchema = apiSchema(
  'VixStatus',
  'What a VIX says about a market: calm, elevated or panic (a panic bypasses the cache).',
  z.enum(VIX_STATUSES, { error: 'must be calm, elevated or panic (or omitted to read the published status)' }),
);

/** What a caller knows about a match; `importance` wins over `matchType`, which wins over `league`. */
export const matchContextSchema = apiSchema(
  'MatchContext',
  'What the caller knows about the match. An explicit importance wins over the match type (final, derby, friendly…), which wins over the league; unknown or empty is medium_stakes.',
  z.strictObject(
    {
      league: name.optional(),
      matchType: name.optional(),
      importance: importanceSchema.optional(),
    },
    { error: 'must be an object { league?, matchType?, importance? }' },
  ),
);

/** Body of `POST /v1/ttl`: the input of `VixCircuitBreaker.getTtl`. Strict: unknown keys are refused. */
export const ttlRequestSchema = apiSchema(
  'TtlRequest',
  'A decision request: the input of VixCircuitBreaker.getTtl.',
  z.strictObject({
    baseTtl: z
      .number({ error: 'must be a number of seconds' })
      .min(0, 'must be ≥ 0')
      .max(MAX_BASE_TTL, `must be ≤ ${MAX_BASE_TTL} (one year)`)
      .meta({ description: 'Seconds the data may be cached when there is no panic.' }),
    vixStatus: vixStatusSchema.optional().meta({ description: 'The market status the caller sees (seed mode). Omitted: the status the VIX engine published decides (publisher mode).' }),
    match: matchContextSchema.optional(),
    scope: scopeSchema.optional(),
  }),
);

/** Most decision requests in one `POST /v1/ttl/batch` by default (`maxBatchItems`). */
export const DEFAULT_MAX_BATCH_ITEMS = 1000;

/**
 * Body of `POST /v1/ttl/batch` as the service checks it: `{ items: [...] }`, strict. Each
 * item is judged on its own (a bad one gets an error in the answer, not a 400), so the
 * elements are not checked here.
 */
export const ttlBatchRequestSchema = z.strictObject({
  items: z.array(z.unknown(), { error: 'must be an array of decision requests { baseTtl, vixStatus?, match?, scope? }' }),
});

/** The body of `POST /v1/ttl/batch` as the OpenAPI document shows it: {@link ttlBatchRequestSchema} with its items described as {@link ttlRequestSchema}. */
export const ttlBatchRequestDocSchema = apiSchema(
  'TtlBatchRequest',
  `Decision requests answered in one round trip, in order: at most ${DEFAULT_MAX_BATCH_ITEMS.toLocaleString('en-US')} items (maxBatchItems) and 1 KiB per item of body by default. Each item is a TtlRequest, judged on its own.`,
  z.strictObject({ items: z.array(ttlRequestSchema) }),
);

/** Body of `POST /v1/admin/panic`: start (or restart) a drill panic, optionally backdated. */
export const adminPanicSchema = apiSchema(
  'AdminPanicRequest',
  'Starts (or restarts) a drill panic in a scope, optionally backdated.',
  z.strictObject({
    scope: scopeSchema.optional(),
    ageMinutes: z
      .number({ error: 'must be a number of minutes' })
      .min(0, 'must be ≥ 0')
      .max(MAX_DRILL_AGE_MIN, `must be ≤ ${MAX_DRILL_AGE_MIN} (seven days)`)
      .optional()
      .meta({ description: 'Backdates the start by this many minutes, to drill a later tier. Default 0.' }),
  }),
);

/** Body of `POST /v1/admin/reset`: end a scope's panic. */
export const adminResetSchema = apiSchema('AdminResetRequest', "Ends a scope's panic.", z.strictObject({ scope: scopeSchema.optional() }));

/**
 * Body of `POST /v1/ticks`: `{ ticks: [...] }`, strict. Each tick is judged by the VIX
 * engine's rules (a bad tick is counted and reported, not a 400), so one bad tick
 * does not cost a feed its whole batch: the elements are not checked here.
 */
export const ticksRequestSchema = z.strictObject({
  ticks: z.array(z.unknown(), { error: 'must be an array of ticks { market, price, ts, scope? }' }),
});

/**
 * One odds tick as a feed should send it (the VIX engine's `Tick`). For the document:
 * `POST /v1/ticks` takes any element ({@link ticksRequestSchema}) and the engine counts a
 * bad one under its reason (`bad_price`, `missing_field`…) instead of refusing the batch.
 */
export const tickSchema = apiSchema(
  'Tick',
  "One odds update: a market's decimal price at an instant, optionally tagged with its scope (other fields are ignored). A tick that breaks a rule is not refused with a 400: the answer counts it under its reason.",
  z.looseObject({
    market: z.string().min(1).max(200).meta({ description: "The market's identifier, e.g. psg-om:1x2:home." }),
    price: z.number().gt(1).meta({ description: 'Decimal odds, finite and > 1.' }),
    ts: z.union([z.number(), z.string()]).meta({ description: 'When the price was quoted: ms since the Unix epoch, or an ISO-8601 string with a time zone.' }),
    scope: scopeSchema.nullable().optional(),
  }),
);

/** The body of `POST /v1/ticks` as the OpenAPI document shows it: {@link ticksRequestSchema} with its elements described as {@link tickSchema}. */
export const ticksRequestDocSchema = apiSchema(
  'TicksRequest',
  'A batch of odds ticks, in order: at most 10,000 ticks (maxTicksPerBatch) and 1 MiB (ticksBodyLimit) by default.',
  z.strictObject({ ticks: z.array(tickSchema) }),
);

/** A validated `POST /v1/ttl` body. */
export type TtlRequest = z.output<typeof ttlRequestSchema>;
