import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { parseOptions } from '../core/parse-options.js';
import { refineGrace, sharedClockFields } from './clock-options.js';
import {
  assertObservationKind,
  checkObservationRequests,
  type ObservationKind,
  type ObservationRequest,
  type ObservationResult,
  type PanicClock,
  type PanicInspection,
  type PanicObservation,
  type StartPanicOptions,
} from './panic-clock.js';
import { normalizeScope } from './scope.js';

/** Options of {@link MemoryPanicClock}. */
export interface MemoryPanicClockOptions {
  /** Time source in ms since the epoch; inject one to test tiers without waiting. Default `Date.now`. */
  now?: (() => number) | undefined;
  deadManSwitchSeconds?: number | undefined;
  calmGraceSeconds?: number | undefined;
  /** Most scopes kept at once (least recently used dropped first). Default 10,000. */
  maxScopes?: number | undefined;
}

const optionsSchema = z
  .strictObject({
    now: z.custom<() => number>((v) => typeof v === 'function', { message: 'must be a function returning ms since the epoch' }).default(() => Date.now),
    ...sharedClockFields,
    maxScopes: z.number().int().min(1).default(10_000),
  })
  .superRefine(refineGrace);

interface Entry {
  startMs: number;
  expiresAtMs: number;
}

/**
 * The panic clock of a single process (the embedded default). Same rules as
 * {@link RedisPanicClock}, on an injectable time source; it cannot make several
 * processes agree.
 */
export class MemoryPanicClock implements PanicClock {
  readonly kind = 'memory';
  /** Seconds a start lives without a panic observation. */
  readonly deadManSwitchSeconds: number;
  readonly #options: z.output<typeof optionsSchema>;
  readonly #entries: LRUCache<string, Entry>;

  /** @throws InvalidConfigError for bad options. */
  constructor(options: MemoryPanicClockOptions = {}) {
    this.#options = parseOptions(optionsSchema, options, 'MemoryPanicClock');
    this.deadManSwitchSeconds = this.#options.deadManSwitchSeconds;
    this.#entries = new LRUCache({ max: this.#options.maxScopes });
  }

  async observe(scope: string | undefined, kind: ObservationKind): Promise<PanicObservation> {
    assertObservationKind(kind);
    return this.#observe(normalizeScope(scope), kind, this.#now());
  }

  /** Every request in order, at one instant of the time source, as {@link observe} would answer each. */
  async observeMany(requests: readonly ObservationRequest[]): Promise<ObservationResult[]> {
    const scopes = checkObservationRequests(requests);
    const now = this.#now();
    return scopes.map((name, i) => ({ ok: true, observation: this.#observe(name, requests[i]!.kind, now) }));
  }

  #observe(name: string, kind: ObservationKind, now: number): PanicObservation {
    const entry = this.#live(name, now);
    if (kind === 'panic') {
      if (entry) {
        entry.expiresAtMs = now + this.#options.deadManSwitchSeconds * 1000;
        return observation(true, entry.startMs, now, false);
      }
      this.#entries.set(name, { startMs: now, expiresAtMs: now + this.#options.deadManSwitchSeconds * 1000 });
      return observation(true, now, now, true);
    }
    if (!entry) return observation(false, null, now, false);
    const graceMs = this.#options.calmGraceSeconds * 1000;
    if (kind === 'read') return observation(!this.#inGrace(entry, now), entry.startMs, now, false);
    if (graceMs > 0) {
      entry.expiresAtMs = Math.min(entry.expiresAtMs, now + graceMs);
      return observation(false, entry.startMs, now, false);
    }
    this.#entries.delete(name);
    return observation(false, entry.startMs, now, false);
  }

  async inspect(scope?: string): Promise<PanicInspection> {
    const name = normalizeScope(scope);
    const now = this.#now();
    const entry = this.#live(name, now);
    const inGrace = entry ? this.#inGrace(entry, now) : false;
    return {
      scope: name,
      location: `memory:${name}`,
      active: entry !== undefined && !inGrace,
      startedAtMs: entry?.startMs ?? null,
      durationMs: entry ? Math.max(0, now - entry.startMs) : null,
      expiresInMs: entry ? entry.expiresAtMs - now : null,
      inGrace,
      raw: entry ? (entry.startMs / 1000).toFixed(6) : null,
      corrupt: null,
      clockNowMs: now,
    };
  }

  async startPanic(scope?: string, options: StartPanicOptions = {}): Promise<PanicObservation> {
    const name = normalizeScope(scope);
    const ageMs = validAge(options.ageMs);
    const now = this.#now();
    this.#entries.set(name, { startMs: now - ageMs, expiresAtMs: now + this.#options.deadManSwitchSeconds * 1000 });
    return observation(true, now - ageMs, now, true);
  }

  async reset(scope?: string): Promise<boolean> {
    const name = normalizeScope(scope);
    const existed = this.#live(name, this.#now()) !== undefined;
    this.#entries.delete(name);
    return existed;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#entries.clear();
  }

  #now(): number {
    const now = this.#options.now();
    if (!Number.isFinite(now)) throw new InvalidInputError('now()', 'must return a finite number of ms', now);
    return now;
  }

  #live(name: string, now: number): Entry | undefined {
    const entry = this.#entries.get(name);
    if (entry && entry.expiresAtMs <= now) {
      this.#entries.delete(name);
      return undefined;
    }
    return entry;
  }

  #inGrace(entry: Entry, now: number): boolean {
    const graceMs = this.#options.calmGraceSeconds * 1000;
    return graceMs > 0 && entry.expiresAtMs - now <= graceMs;
  }
}

function observation(active: boolean, startedAtMs: number | null, clockNowMs: number, created: boolean): PanicObservation {
  return { active, startedAtMs, clockNowMs, created, repaired: null };
}

/** Validates a drill's backdating. */
export function validAge(ageMs: unknown): number {
  if (ageMs === undefined) return 0;
  if (typeof ageMs !== 'number' || !Number.isFinite(ageMs) || ageMs < 0) {
    throw new InvalidInputError('ageMs', 'must be a finite number ≥ 0', ageMs);
  }
  return ageMs;
}
