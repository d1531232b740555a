import { z } from 'zod';
import { isValidScope } from '../../clock/scope.js';
import { describeChoices } from '../../core/errors.js';
import { IMPORTANCES } from '../../policy/importance.js';
import { VIX_STATUSES } from '../../policy/vix-status.js';

/** Longest base TTL accepted over HTTP: one year, in seconds. */
export const MAX_BASE_TTL = 31_536_000;

/** Longest league or match-type name accepted over HTTP. */
export const MAX_NAME_LENGTH = 100;

/** Longest backdating of a drill panic: seven days, in minutes. */
export const MAX_DRILL_AGE_MIN = 10_080;

const name = z
  .string({ error: 'must be a string' })
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`);

const scope = z.string({ error: 'must be a string' }).refine(isValidScope, 'must be 1–64 characters of A-Z a-z 0-9 : _ . -');

/** Body of `POST /v1/ttl`: the input of `VixCircuitBreaker.getTtl`. Strict: unknown keys are refused. */
export const ttlRequestSchema = z.strictObject({
  baseTtl: z.number({ error: 'must be a number of seconds' }).min(0, 'must be ≥ 0').max(MAX_BASE_TTL, `must be ≤ ${MAX_BASE_TTL} (one year)`),
  vixStatus: z.enum(VIX_STATUSES, { error: `must be ${describeChoices(VIX_STATUSES)} (or omitted to read the published status)` }).optional(),
  match: z
    .strictObject(
      {
        league: name.optional(),
        matchType: name.optional(),
        importance: z.enum(IMPORTANCES, { error: `must be ${describeChoices(IMPORTANCES)}` }).optional(),
      },
      { error: 'must be an object { league?, matchType?, importance? }' },
    )
    .optional(),
  scope: scope.optional(),
});

/** Body of `POST /v1/admin/panic`: start (or restart) a drill panic, optionally backdated. */
export const adminPanicSchema = z.strictObject({
  scope: scope.optional(),
  ageMinutes: z.number({ error: 'must be a number of minutes' }).min(0, 'must be ≥ 0').max(MAX_DRILL_AGE_MIN, `must be ≤ ${MAX_DRILL_AGE_MIN} (seven days)`).optional(),
});

/** Body of `POST /v1/admin/reset`: end a scope's panic. */
export const adminResetSchema = z.strictObject({
  scope: scope.optional(),
});

/**
 * Body of `POST /v1/ticks`: `{ ticks: [...] }`, strict. Each tick is judged by the VIX
 * engine's rules (a bad tick is counted and reported, not a 400), so one bad tick
 * does not cost a feed its whole batch.
 */
export const ticksRequestSchema = z.strictObject({
  ticks: z.array(z.unknown(), { error: 'must be an array of ticks { market, price, ts, scope? }' }),
});

/** A validated `POST /v1/ttl` body. */
export type TtlRequest = z.output<typeof ttlRequestSchema>;
