import type { Attributes } from '@opentelemetry/api';
import { isValidScope, normalizeScope } from '../clock/scope.js';
import type { TtlDecision } from '../policy/ttl-decision.js';

/**
 * The names of the span attributes vix-ttl writes, under its own `vix_ttl.` prefix
 * (no semantic convention covers a panic clock). Values are bounded: scopes are
 * validated names (64 characters at most), everything else is one of the library's
 * constants, a number, or a cache key cut to {@link MAX_ATTRIBUTE_LENGTH}.
 */
export const SPAN_ATTRIBUTES = Object.freeze({
  scope: 'vix_ttl.scope',
  importance: 'vix_ttl.importance',
  mode: 'vix_ttl.mode',
  tier: 'vix_ttl.tier',
  ttl: 'vix_ttl.ttl_s',
  failSafe: 'vix_ttl.fail_safe',
  failSafeReason: 'vix_ttl.fail_safe_reason',
  panicDuration: 'vix_ttl.panic_duration_min',
  clockKind: 'vix_ttl.clock.kind',
  clockOutcome: 'vix_ttl.clock.outcome',
  clockStore: 'vix_ttl.clock.store',
  cacheKey: 'vix_ttl.cache.key',
  cacheStatus: 'vix_ttl.cache.status',
  entryAge: 'vix_ttl.cache.entry_age_ms',
  storeFailure: 'vix_ttl.cache.store_failure',
  loaderOutcome: 'vix_ttl.cache.loader_outcome',
  refreshOutcome: 'vix_ttl.cache.refresh_outcome',
  errorType: 'error.type',
} as const);

/** The span names vix-ttl emits. */
export const SPAN_NAMES = Object.freeze({
  decision: 'vix_ttl.decision',
  clockCall: 'vix_ttl.clock.observe',
  cacheGet: 'vix_ttl.cache.get',
  cacheLoad: 'vix_ttl.cache.load',
  cacheRefresh: 'vix_ttl.cache.refresh',
} as const);

/** Longest string value vix-ttl puts in an attribute or a status message (a cache key may be configured up to 64 KiB). */
export const MAX_ATTRIBUTE_LENGTH = 256;

/** A string cut to {@link MAX_ATTRIBUTE_LENGTH} characters. */
export function bounded(value: string): string {
  return value.length <= MAX_ATTRIBUTE_LENGTH ? value : `${value.slice(0, MAX_ATTRIBUTE_LENGTH - 1)}…`;
}

/** The attributes of a decision: tier, mode, importance, TTL, fail-safe and why, panic duration. */
export function decisionAttributes(decision: TtlDecision, into: Attributes = {}): Attributes {
  into[SPAN_ATTRIBUTES.importance] = decision.importance;
  into[SPAN_ATTRIBUTES.mode] = decision.mode;
  into[SPAN_ATTRIBUTES.tier] = decision.tier;
  into[SPAN_ATTRIBUTES.ttl] = decision.ttl;
  into[SPAN_ATTRIBUTES.failSafe] = decision.failSafe;
  if (decision.reason !== undefined) into[SPAN_ATTRIBUTES.failSafeReason] = decision.reason;
  if (decision.panicDurationMin !== null) into[SPAN_ATTRIBUTES.panicDuration] = decision.panicDurationMin;
  return into;
}

/** A caller's scope as an attribute value: its canonical name, or undefined for a value that is not a valid scope (never written as given). */
export function scopeAttribute(scope: unknown): string | undefined {
  return isValidScope(scope) ? normalizeScope(scope) : undefined;
}

/** The `error.type` of a failure: a vix-ttl error's code, else the error's class name, else `unknown`. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return bounded(code);
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return bounded(name);
  }
  return 'unknown';
}
