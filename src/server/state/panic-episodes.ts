import { LRUCache } from 'lru-cache';
import type { Registry } from 'prom-client';
import type { ObservationKind, PanicObservation } from '../../clock/panic-clock.js';
import type { Disposable } from '../../core/event.js';
import type { VixPublisher } from '../../vix/vix-publisher.js';
import { ScrapeHistogram } from './scrape-histogram.js';

/** The panic-duration histogram's name. */
export const PANIC_EPISODE_METRIC = 'vix_ttl_panic_episode_duration_seconds';

/**
 * Its bounds, seconds: one and five minutes (a flapping status), then the tier
 * thresholds of the default tables (15, 30, 45, 60, 90, 180, 360 min), 12 h and the
 * 24 h dead man's switch — so "how many panics reached tier 2 for medium stakes"
 * (≥ 30 min) is one bucket away.
 */
export const PANIC_EPISODE_BUCKETS = Object.freeze([60, 300, 900, 1800, 2700, 3600, 5400, 10_800, 21_600, 43_200, 86_400]);

/** Ends remembered per registry (scope and start), so one panic is observed once. */
const REMEMBERED_ENDS = 1000;

const byRegistry = new WeakMap<Registry, PanicEpisodes>();

/**
 * How long panics lasted: a histogram observed once per panic, when it ends, by the
 * process whose calm observation removed its start from the clock — a decision's
 * (seed mode: `POST /v1/ttl` with `calm`) or the VIX publisher's. Other processes
 * see no start any more, so a fleet counts each panic once. One per registry, shared
 * by the breaker's side and the publisher's side of a process.
 *
 * Not observed: a panic removed by `reset` (admin) or expired by the dead man's
 * switch (nobody sees it end). With `calmGraceSeconds`, the calm observation keeps
 * the start for the grace and every process that observes calm during it sees the
 * same start: each process counts it once, and a panic that resumes within the grace
 * is counted again when it ends.
 */
export class PanicEpisodes {
  readonly #histogram: ScrapeHistogram;
  readonly #ended = new LRUCache<string, true>({ max: REMEMBERED_ENDS });

  private constructor(registry: Registry) {
    this.#histogram = new ScrapeHistogram({
      name: PANIC_EPISODE_METRIC,
      help: 'How long panics lasted on the clock, observed once when each ended, by the process whose calm observation (a decision in seed mode, or the VIX publisher) removed its start.',
      buckets: PANIC_EPISODE_BUCKETS,
      registers: [registry],
    });
  }

  /** The histogram of `registry` (registered on it the first time). */
  static on(registry: Registry): PanicEpisodes {
    let episodes = byRegistry.get(registry);
    if (!episodes) byRegistry.set(registry, (episodes = new PanicEpisodes(registry)));
    return episodes;
  }

  /** Observes the panic a calm observation of `scope` ended, if it did: the clock answered calm and named the start it removed. */
  observe(scope: string, kind: ObservationKind, observation: Pick<PanicObservation, 'active' | 'startedAtMs' | 'clockNowMs'>): void {
    if (kind !== 'calm' || observation.active || observation.startedAtMs === null) return;
    const key = `${scope} ${observation.startedAtMs}`;
    if (this.#ended.has(key)) return;
    this.#ended.set(key, true);
    const seconds = (observation.clockNowMs - observation.startedAtMs) / 1000;
    if (seconds >= 0) this.#histogram.observe(0, seconds);
  }

  /** Observes the panics `publisher`'s calm writes end, until disposed. */
  follow(publisher: Pick<VixPublisher, 'onPublish'>): Disposable {
    return publisher.onPublish((event) => {
      if (event.outcome === 'ok' && event.observation !== undefined) this.observe(event.scope, event.kind, event.observation);
    });
  }
}
