import { Counter, Gauge, type Registry } from 'prom-client';
import { GLOBAL_SCOPE } from '../../clock/scope.js';
import { VIX_STATUS_LEVEL } from '../../policy/vix-status.js';
import { REJECT_REASONS } from '../../vix/tick.js';
import type { PublishEvent } from '../../vix/vix-publisher.js';
import type { VixTransitionView, VixView } from './vix-source.js';

/** Options of {@link VixMetrics}. */
export interface VixMetricsOptions {
  /** Most scope label values of the transition counter besides `global`; later scopes count as `~other`. Default 200. */
  maxScopeLabels?: number | undefined;
}

/** The scope label of transitions past `maxScopeLabels` (`~` is not a scope character, so no scope can collide). */
export const OTHER_SCOPE_LABEL = '~other';

/**
 * The VIX engine's Prometheus metrics (`vix_ttl_vix_*`). Gauges and the tick counts
 * are read from a sampled {@link VixView} at scrape time, so ingestion pays nothing
 * per tick; transitions and publisher writes are counted as they happen. Per-scope
 * series follow the view's bounded scope list (global and the most alarming scopes).
 */
export class VixMetrics {
  readonly #transitions: Counter<'scope' | 'from' | 'to'>;
  readonly #publishes: Counter<'kind' | 'reason' | 'outcome'>;
  readonly #staleRemoved: Counter;
  readonly #labelled = new Set<string>([GLOBAL_SCOPE]);
  readonly #maxScopeLabels: number;

  constructor(registry: Registry, view: () => VixView | null, options: VixMetricsOptions = {}) {
    this.#maxScopeLabels = options.maxScopeLabels ?? 200;
    const registers = [registry];
    const index: Gauge<'scope'> = new Gauge({
      name: 'vix_ttl_vix_index',
      help: 'VIX index of a scope: fast over slow variance of implied-probability returns (1 usual, 4 four times the usual volatility).',
      labelNames: ['scope'],
      registers,
      collect() {
        index.reset();
        for (const s of view()?.scopes ?? []) index.set({ scope: s.scope }, s.index);
      },
    });
    const status: Gauge<'scope'> = new Gauge({
      name: 'vix_ttl_vix_status',
      help: 'VIX status of a scope: 0 calm, 1 elevated, 2 panic.',
      labelNames: ['scope'],
      registers,
      collect() {
        status.reset();
        for (const s of view()?.scopes ?? []) status.set({ scope: s.scope }, VIX_STATUS_LEVEL[s.status]);
      },
    });
    const scopes: Gauge = new Gauge({
      name: 'vix_ttl_vix_scopes',
      help: 'Scopes the VIX engine holds (global included).',
      registers,
      collect() {
        scopes.set(view()?.totalScopes ?? 0);
      },
    });
    const ticks: Counter<'result'> = new Counter({
      name: 'vix_ttl_vix_ticks_total',
      help: 'Odds ticks given to the VIX engine, by result: accepted, or the reason it was not used (bad_price, duplicate…).',
      labelNames: ['result'],
      registers,
      collect() {
        const current = view();
        ticks.reset();
        ticks.inc({ result: 'accepted' }, current?.ticks.accepted ?? 0);
        for (const reason of REJECT_REASONS) ticks.inc({ result: reason }, current?.ticks.byReason[reason] ?? 0);
      },
    });
    this.#transitions = new Counter({ name: 'vix_ttl_vix_status_transitions_total', help: 'VIX status changes, by scope, from and to.', labelNames: ['scope', 'from', 'to'], registers });
    this.#publishes = new Counter({
      name: 'vix_ttl_vix_publish_total',
      help: 'Writes of a VIX status to the shared panic clock (publisher mode), by kind (panic, calm), reason and outcome (ok, error).',
      labelNames: ['kind', 'reason', 'outcome'],
      registers,
    });
    this.#staleRemoved = new Counter({
      name: 'vix_ttl_vix_stale_starts_removed_total',
      help: 'Panic starts the publisher found and removed on a calm refresh: left by an earlier publisher, or resurrected by a Redis failover.',
      registers,
    });
  }

  /** Counts one status change. */
  transition(t: Pick<VixTransitionView, 'scope' | 'from' | 'to'>): void {
    this.#transitions.inc({ scope: this.#scopeLabel(t.scope), from: t.from, to: t.to });
  }

  /** Counts one write of the publisher. */
  publish(e: PublishEvent): void {
    this.#publishes.inc({ kind: e.kind, reason: e.reason, outcome: e.outcome });
    if (e.removedStart && (e.reason === 'refresh' || e.reason === 'first_sight')) this.#staleRemoved.inc();
  }

  #scopeLabel(scope: string): string {
    if (this.#labelled.has(scope)) return scope;
    if (this.#labelled.size > this.#maxScopeLabels) return OTHER_SCOPE_LABEL;
    this.#labelled.add(scope);
    return scope;
  }
}
