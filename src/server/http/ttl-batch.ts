import type { VixCircuitBreaker } from '../../breaker/vix-circuit-breaker.js';
import type { TtlDecision } from '../../policy/ttl-decision.js';
import { errorResponse, type ErrorBody } from './error-handler.js';
import { boundedField, HttpError, invalidBody } from './http-error.js';
import { mayPollute, nestsDeeperThan, parseJsonText, pollutionError, pollutionPath } from './json-body-parser.js';
import { parseBody, type BodyFault } from './parse-body.js';
import { ttlBatchRequestSchema, type TtlRequest } from './request-schemas.js';
import { checkTtlRequest } from './ttl-request.js';

/** Bytes of `POST /v1/ttl/batch` body allowed per item of `maxBatchItems` (its body limit: 1,000 items → 1,000 KiB). The largest valid item, names in non-Latin script, is about 800 bytes. */
export const BATCH_BYTES_PER_ITEM = 1024;

/**
 * The share of the breaker's `maxPanicScopes` one batch may take with panics in new
 * scopes (100 of the default 1,000; at least 1): past it a new panic scope of the batch
 * is refused as at the limit (read only; TTL 0 `scope_limit` without a start), so one
 * request cannot lock new panics out for everyone for `panicScopeIdleMs`.
 */
export const BATCH_PANIC_SCOPE_SHARE = 0.1;

/** New panic scopes one batch may reserve when the breaker holds at most `maxPanicScopes`: {@link BATCH_PANIC_SCOPE_SHARE} of it, at least 1. */
export function batchPanicScopeCap(maxPanicScopes: number): number {
  return Math.max(1, Math.floor(maxPanicScopes * BATCH_PANIC_SCOPE_SHARE));
}

/** Deepest nesting of a batch body larger than a single request's (a valid one nests 4: the body, `items`, an item, its `match`). */
export const BATCH_MAX_DEPTH = 32;

/** Bodies up to this many bytes are parsed whatever their nesting (they cost what a single request may). */
const DEPTH_CHECK_FROM = 16_384;

/**
 * Parses the text of a `POST /v1/ttl/batch` body. Past 16 KiB, a body nested deeper than
 * {@link BATCH_MAX_DEPTH} levels is refused before `JSON.parse`, which spends several times
 * more per byte on deep nesting than on a real batch.
 * @throws HttpError 400 `invalid_json`, or `invalid_body` (field `body`) for a body nested too deep.
 */
export function parseBatchBody(text: string): BatchBody {
  if (text.length > DEPTH_CHECK_FROM && nestsDeeperThan(text, BATCH_MAX_DEPTH)) {
    throw invalidBody('body', `must not nest arrays and objects deeper than ${BATCH_MAX_DEPTH} levels (a batch nests 4)`);
  }
  return { value: parseJsonText(text), mayPollute: mayPollute(text) };
}

/** One answer of a batch: the item's decision, or its error. */
export type BatchAnswer = TtlDecision | ErrorBody;

/** A `POST /v1/ttl/batch` body as its parser gives it: the value, and whether its text could spell a prototype-pollution key at all. */
export interface BatchBody {
  value: unknown;
  /** False when the text cannot spell `__proto__` nor `constructor.prototype` (`mayPollute`): nothing in it needs the walk. */
  mayPollute: boolean;
}

/**
 * The items of a `POST /v1/ttl/batch` body, `{ items: [...] }` with at most `maxItems`
 * items. A body of another shape is looked through for prototype-pollution keys first
 * (when its text could spell one), then worded by `ttlBatchRequestSchema` (a 400 naming
 * the field); the items themselves are not checked here.
 * @throws HttpError 400 `invalid_body`, 413 `too_many_items` (field `items`).
 */
export function readBatchItems(body: BatchBody, maxItems: number): readonly unknown[] {
  const { value } = body;
  const items = isBatchShape(value) ? value.items : readSlowly(value, body.mayPollute);
  if (items.length > maxItems) throw new HttpError('too_many_items', 'items', `items must hold at most ${maxItems} decision requests per batch, got ${items.length}; split the batch`);
  return items;
}

function isBatchShape(body: unknown): body is { items: unknown[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  for (const key in body) if (key !== 'items') return false;
  return Array.isArray((body as { items?: unknown }).items);
}

function readSlowly(body: unknown, mayPollute: boolean): readonly unknown[] {
  const polluted = mayPollute ? pollutionPath(body) : null;
  if (polluted !== null) throw pollutionError(polluted);
  return parseBody(ttlBatchRequestSchema, body).items;
}

/**
 * Decides every item of a batch, each on its own, and answers in input order: a valid
 * item gets the decision `POST /v1/ttl` would give it, an invalid one the error body
 * that route would answer for it sent alone. Items the breaker can decide from its sync
 * window are decided at once (`peekTtl`); the others all wait for the clock together:
 * the breaker gathers them in one batch (one round trip; items of one scope share one
 * observation), which counts as one command against the clock's `maxInFlight`. Panics in
 * new scopes take at most {@link batchPanicScopeCap} `maxPanicScopes` places per batch;
 * the rest answer `scope_limit` as at the limit. Items are decided as concurrent requests would be: two items of one
 * scope with different statuses race as two requests sent together would. `mayPollute`:
 * whether the body's text could spell a prototype-pollution key (else a refused item is
 * not walked for one).
 */
export async function decideBatch(breaker: VixCircuitBreaker, items: readonly unknown[], mayPollute = true): Promise<BatchAnswer[]> {
  const answers = new Array<BatchAnswer>(items.length);
  const waiting: number[] = [];
  const inputs = new Array<TtlRequest | undefined>(items.length);
  for (let index = 0; index < items.length; index += 1) {
    const checked = checkTtlRequest(items[index], mayPollute);
    if ('fault' in checked) {
      answers[index] = faultBody(checked.fault);
      continue;
    }
    try {
      const decision = breaker.peekTtl(checked.value);
      if (decision !== null) answers[index] = decision;
      else {
        inputs[index] = checked.value;
        waiting.push(index);
      }
    } catch (error) {
      answers[index] = errorResponse(error).body;
    }
  }
  if (waiting.length === 0) return answers;
  let newPanicScopes = batchPanicScopeCap(breaker.panicScopes.max);
  const options = { mayReservePanicScope: () => newPanicScopes-- > 0 };
  // Every getTtl is started now: their observations join one clock batch (the breaker's batcher).
  await Promise.all(
    waiting.map(async (index) => {
      try {
        answers[index] = await breaker.getTtl(inputs[index]!, options);
      } catch (error) {
        answers[index] = errorResponse(error).body;
      }
    }),
  );
  return answers;
}

/** The error body of an item at fault: what `POST /v1/ttl` answers for that item as its body. */
function faultBody(fault: BodyFault): ErrorBody {
  const field = boundedField(fault.field);
  return { error: 'invalid_body', field, message: `${field} ${fault.rule}` };
}
