import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AdaptiveCache, MemoryCacheStore, MemoryPanicClock, RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { cacheMetricsHooks, LogVolume } from '../../src/server/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { LocalVix } from '../../src/server/vix/local-vix.js';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { RedisServer } from '../support/redis-server.js';
import { freePort } from '../support/free-port.js';
import { alive, serve } from '../server/serve-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GRAFANA = `${ROOT}ops/grafana/vix-ttl.json`;
const ALERTS = `${ROOT}ops/prometheus/alerts.yml`;

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  // Its time is not the subject: `test rules` takes 2 s of CPU, over 20 s on a starved machine.
  const result = spawnSync('promtool', args, { cwd: ROOT, input, encoding: 'utf8', timeout: 120_000 });
  const killed = result.signal === null ? '' : `\n(promtool ended by ${result.signal}${result.error ? `: ${result.error.message}` : ''})`;
  return { status: result.status, output: `${result.stdout}${result.stderr}${killed}` };
}

/** Metric family names (`# TYPE` lines) of a Prometheus text exposition. */
function families(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

/** The vix_ttl_* metric names a PromQL text refers to, histogram suffixes folded into their family. */
function referencedFamilies(promql: string): string[] {
  // Not the recording rules' own names (`importance:vix_ttl_…:ratio_rate5m`), which are made by the rules.
  return [...new Set([...promql.matchAll(/(?<![:\w])vix_ttl_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))];
}

/**
 * What an application embedding an AdaptiveCache exports through cacheMetricsHooks
 * (the service itself runs no cache): a load that succeeds, one that fails and one
 * abandoned after loadTimeout.hard.
 */
async function cacheScrape(): Promise<string> {
  const registry = new Registry();
  const cache = new AdaptiveCache({
    breaker: new VixCircuitBreaker({ clock: new MemoryPanicClock() }),
    store: new MemoryCacheStore(),
    loadTimeout: { hard: 20 },
    hooks: cacheMetricsHooks({ registry, cache: 'odds' }),
  });
  const calm = { baseTtl: 60, vixStatus: 'calm' } as const;
  await cache.getOrLoad('ok', async () => 1, calm);
  await cache.getOrLoad('error', async () => Promise.reject(new Error('down')), calm).catch(() => {});
  await cache.getOrLoad('hung', () => new Promise<number>(() => {}), calm).catch(() => {});
  return registry.metrics();
}

/**
 * What `serve --workers 2` answers on `GET /metrics`: the workers' metrics aggregated by the
 * primary with its own (live and wanted workers, restarts, the crash budget, workers missing).
 */
async function clusterScrape(redisUrl: string): Promise<string> {
  const port = await freePort();
  const service = serve(['--workers', '2', '--redis', redisUrl, '--port', String(port), '--host', '127.0.0.1', '--max-worker-restarts', '7', '--restart-window-ms', '60000']);
  try {
    await service.waitFor('VIX_TTL_CLUSTER_READY', 60_000); // starting two workers on a loaded machine is not the subject: generous
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } finally {
    service.child.kill('SIGTERM');
    await service.exited;
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
  }
}

describe('a real /metrics scrape', () => {
  let redis: RedisServer;
  let server: VixTtlServer;
  let scrape: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const admin = redis.client();
    await admin.set('brain:panic_start_ts:corrupt', 'not-a-timestamp');
    // Store timeouts are not the subject: generous. warmupMs 0: the engine warms up on the history posted below.
    // The logger counts its lines as `vix-ttl serve`'s does (LogVolume's pino hook), so vix_ttl_log_lines_total is in the scrape.
    const logVolume = new LogVolume();
    const logger = pino({ level: 'info', hooks: logVolume.hooks }, { write: () => undefined });
    server = await createServer({ clock: new RedisPanicClock(redis.client(), { timeoutMs: 5000 }), timeoutMs: 5000, vixEngine: { warmupMs: 0 }, logger, logVolume });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const post = (body: object) => fetch(`${server.app.listeningOrigin}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post({ baseTtl: 60, vixStatus: 'panic', scope: 'corrupt' });
    await post({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl' });
    await post({ baseTtl: 60, vixStatus: 'calm' });
    await post({ baseTtl: 'bad' });
    // The VIX engine: three calm minutes, then a goal in rma-bay (returns ×10) up to now, and three bad ticks (one in seconds).
    const startMs = Date.now() - 4 * 60_000;
    const events = [{ scope: 'rma-bay', atMs: 3 * 60_000, durationMs: 60_000, volatility: 10, jump: 0.3 }];
    const ticks = [...simulateTicks({ seed: 5, startMs, durationMs: 4 * 60_000, scopes: [{ scope: 'rma-bay', markets: 4, meanGapMs: 2000 }], events })].map((r) => r.tick);
    const bad = [{ market: 'x', price: 0.5, ts: 1 }, { market: 'x' }, { market: 'y', price: 2, ts: Math.floor(Date.now() / 1000) }];
    const sent = await fetch(`${server.app.listeningOrigin}/v1/ticks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ticks: [...ticks, ...bad] }) });
    expect(sent.status).toBe(200);
    if (server.vix instanceof LocalVix) await server.vix.publisher?.idle();
    scrape = await (await fetch(`${server.app.listeningOrigin}/metrics`)).text();
  });

  afterAll(async () => {
    await server.app.close();
    await redis.stop();
  });

  it('passes promtool check metrics', () => {
    const { status, output } = promtool(['check', 'metrics'], scrape);
    expect(output.trim()).toBe('');
    expect(status).toBe(0);
  });

  it('has the vix_ttl_ families, with a repaired corrupt value counted', () => {
    const names = families(scrape);
    for (const name of [
      'vix_ttl_decisions_total',
      'vix_ttl_fail_safe_total',
      'vix_ttl_store_latency_seconds',
      'vix_ttl_panic_duration_seconds',
      'vix_ttl_current_tier',
      'vix_ttl_corrupt_repairs_total',
      'vix_ttl_store_up',
      'vix_ttl_vix_index',
      'vix_ttl_vix_status',
      'vix_ttl_vix_scopes',
      'vix_ttl_vix_ticks_total',
      'vix_ttl_vix_status_transitions_total',
      'vix_ttl_vix_publish_total',
      'vix_ttl_vix_stale_starts_removed_total',
      'vix_ttl_decision_ttl_seconds',
      'vix_ttl_panic_episode_duration_seconds',
      'vix_ttl_log_lines_total',
      'process_cpu_user_seconds_total',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(scrape).toMatch(/^vix_ttl_corrupt_repairs_total\{reason="unparsable"\} 1$/m);
    expect(scrape).toMatch(/^vix_ttl_fail_safe_total\{reason="corrupt_value_repaired"\} 1$/m);
    expect(scrape).toMatch(/^vix_ttl_store_latency_seconds_count\{kind="panic",outcome="ok"\} [1-9]/m);
    expect(scrape).toMatch(/^vix_ttl_current_tier\{scope="epl",importance="medium_stakes"\} 1$/m);
    expect(scrape).toMatch(/^vix_ttl_http_request_duration_seconds_count\{method="POST",route="\/v1\/ttl",status_code="400"\} 1$/m);
  });

  it('has the VIX engine: index and status per scope, ticks by result, transitions, publisher writes', () => {
    const index = Number(/^vix_ttl_vix_index\{scope="rma-bay"\} (\S+)$/m.exec(scrape)?.[1]);
    expect(index).toBeGreaterThan(4);
    expect(scrape).toMatch(/^vix_ttl_vix_status\{scope="rma-bay"\} 2$/m);
    expect(scrape).toMatch(/^vix_ttl_vix_index\{scope="global"\} /m);
    expect(scrape).toMatch(/^vix_ttl_vix_ticks_total\{result="accepted"\} [1-9]\d{2,}$/m);
    expect(scrape).toMatch(/^vix_ttl_vix_ticks_total\{result="bad_price"\} 1$/m);
    expect(scrape).toMatch(/^vix_ttl_vix_ticks_total\{result="missing_field"\} 1$/m);
    expect(scrape).toMatch(/^vix_ttl_vix_ticks_total\{result="stale_ts"\} 1$/m);
    expect(scrape).toMatch(/^vix_ttl_vix_ticks_total\{result="duplicate"\} 0$/m);
    expect(scrape).toMatch(/^vix_ttl_vix_status_transitions_total\{scope="rma-bay",from="calm",to="panic"\} 1$/m);
    expect(scrape).toMatch(/^vix_ttl_vix_publish_total\{kind="panic",reason="transition",outcome="ok"\} [1-9]/m);
    expect(scrape).toMatch(/^vix_ttl_vix_scopes 2$/m);
  });

  it('every metric the Grafana dashboard and the alert rules use exists in the scrape (or, for the cache, in what cacheMetricsHooks exports; for the cluster, in what serve --workers 2 exports)', async () => {
    const cacheText = await cacheScrape();
    expect(promtool(['check', 'metrics'], cacheText).status).toBe(0);
    expect(cacheText).toMatch(/^vix_ttl_cache_events_total\{cache="odds",type="load_timeout",detail=""\} 1$/m);
    expect(cacheText).toMatch(/^vix_ttl_cache_events_total\{cache="odds",type="market_overflow",detail="publisher_overflow"\} 0$/m);
    const clusterText = await clusterScrape(redis.url);
    expect(promtool(['check', 'metrics'], clusterText).output.trim()).toBe('');
    expect(clusterText).toMatch(/^vix_ttl_cluster_workers 2$/m);
    expect(clusterText).toMatch(/^vix_ttl_cluster_workers_wanted 2$/m);
    expect(clusterText).toMatch(/^vix_ttl_cluster_worker_exits_max 7$/m); // --max-worker-restarts reaches the primary…
    expect(clusterText).toMatch(/^# HELP vix_ttl_cluster_worker_exits_in_window .*within the last 60 s/m); // …and --restart-window-ms
    expect(clusterText).toMatch(/^vix_ttl_cluster_worker_exits_in_window 0$/m);
    expect(clusterText).toMatch(/^vix_ttl_worker_restarts_total\{reason="crash"\} 0$/m);
    const names = new Set([...families(scrape), ...families(cacheText), ...families(clusterText)]);
    const dashboard = JSON.parse(readFileSync(GRAFANA, 'utf8')) as { panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));
    const rules = readFileSync(ALERTS, 'utf8');
    const used = referencedFamilies([...exprs, rules].join('\n'));
    expect(used.length).toBeGreaterThanOrEqual(6);
    expect(used.filter((name) => !names.has(name))).toEqual([]);
  }, 120_000); // starts serve --workers 2 (up to 60 s to be ready on a loaded machine): generous, not the subject
});

describe('a /metrics scrape in shadow mode', () => {
  it('passes promtool check metrics, with every vix_ttl_shadow_* family and fractional time-weighted seconds', async () => {
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const server = await createServer({ clock: new MemoryPanicClock({ now: () => now }), now: () => now, shadow: true, vixSource: null });
    try {
      for (const body of [
        { baseTtl: 60, vixStatus: 'calm', scope: 'epl' },
        { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl' },
        { baseTtl: 30, vixStatus: 'panic', match: { importance: 'high_stakes' }, scope: 'ucl' },
      ]) {
        expect((await server.app.inject({ method: 'POST', url: '/v1/ttl', payload: body })).statusCode).toBe(200);
        now += 1250;
      }
      const text = (await server.app.inject('/metrics')).body;
      const { status, output } = promtool(['check', 'metrics'], text);
      expect(output.trim()).toBe('');
      expect(status).toBe(0);
      expect(text).toMatch(/^vix_ttl_shadow_mode 1$/m);
      expect(text).toMatch(/^vix_ttl_shadow_served_seconds_total\{importance="medium_stakes",tier="1",outcome="fresher"\} 2\.5$/m);
      expect(text).toMatch(/^vix_ttl_shadow_decisions_total\{importance="medium_stakes",tier="0",outcome="same"\} 1$/m);
      expect(text).toMatch(/^vix_ttl_shadow_ttl_difference_seconds_total\{importance="high_stakes",tier="1",outcome="fresher"\} 30$/m);
    } finally {
      await server.app.close();
    }
  });
});

/** A dashboard panel as the ops tests read it (rows carry their collapsed panels in `panels`). */
interface DashboardPanel {
  id: number;
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; refId: string }>;
  panels?: DashboardPanel[];
}

/**
 * Every pair of panels whose grid rectangles share a cell, as "title A ↔ title B": Grafana
 * silently pushes one of them down, so the layout shown is not the one written. The panels of
 * a collapsed row are laid out on their own when it opens, so they are checked among themselves.
 */
function overlappingPanels(panels: readonly DashboardPanel[]): string[] {
  const found: string[] = [];
  for (const [i, a] of panels.entries()) {
    for (const b of panels.slice(i + 1)) {
      const { x: ax, y: ay, w: aw, h: ah } = a.gridPos;
      const { x: bx, y: by, w: bw, h: bh } = b.gridPos;
      if (ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah) found.push(`${a.title} (y ${ay}) ↔ ${b.title} (y ${by})`);
    }
  }
  for (const row of panels) if (row.panels?.length) found.push(...overlappingPanels(row.panels));
  return found;
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(GRAFANA, 'utf8')) as { uid: string; panels: DashboardPanel[] };

  it('has no two panels overlapping on the grid (rows included; a collapsed row\'s own panels against each other)', () => {
    const overlaps = overlappingPanels(dashboard.panels);
    expect(overlaps).toEqual([]);
    // The check itself sees an overlap: the HTTP row's last panel moved one unit up into the row above it.
    const moved = dashboard.panels.map((p) => (p.id === 27 ? { ...p, gridPos: { ...p.gridPos, y: p.gridPos.y - 1 } } : p));
    expect(overlappingPanels(moved).length).toBeGreaterThan(0);
  });

  it('is valid JSON with a stable uid and unique panel ids inside a 24-column grid', () => {
    expect(dashboard.uid).toBe('vix-ttl');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
  });

  it.each([
    ['tier distribution', /sum by \(tier\) \(rate\(vix_ttl_decisions_total/],
    ['panic duration', /vix_ttl_panic_duration_seconds/],
    ['fail-safe rate', /rate\(vix_ttl_fail_safe_total/],
    ['store latency', /histogram_quantile\(0\.99, sum by \(le, kind\) \(rate\(vix_ttl_store_latency_seconds_bucket/],
    ['current tier', /vix_ttl_current_tier/],
    ['VIX index per scope', /max by \(scope\) \(vix_ttl_vix_index/],
    ['VIX status per scope', /vix_ttl_vix_status\{/],
    ['publisher writes', /rate\(vix_ttl_vix_publish_total/],
    ['cache loader calls by outcome (timeouts included)', /sum by \(cache, outcome\) \(rate\(vix_ttl_cache_load_duration_seconds_count/],
    ['shadow mode by instance', /max by \(instance\) \(vix_ttl_shadow_mode/],
    ['minutes shadow would have served fresher (time-weighted, the largest instance)', /max by \(importance\) \(sum by \(instance, importance\) \(increase\(vix_ttl_shadow_served_seconds_total\{[^}]*outcome="fresher"/],
    ['share of shadow decisions at TTL 0', /rate\(vix_ttl_shadow_decisions_total\{[^}]*tier="1",outcome="fresher"/],
    ['durations of the panics that ended', /sum by \(le\) \(increase\(vix_ttl_panic_episode_duration_seconds_bucket/],
    ['distribution of decided TTLs', /sum by \(le\) \(rate\(vix_ttl_decision_ttl_seconds_bucket/],
    ['share of decisions at TTL 0', /vix_ttl_decision_ttl_seconds_bucket\{job=~"\$job", le="0"\}/],
    ['log lines per decision', /rate\(vix_ttl_log_lines_total.*\/ sum by \(instance\) \(rate\(vix_ttl_decisions_total/],
    ['log lines by event', /sum by \(event, level\) \(rate\(vix_ttl_log_lines_total/],
    ['tier disagreement between instances', /max by \(scope, importance\) \(vix_ttl_current_tier.*- min by \(scope, importance\) \(vix_ttl_current_tier/],
    ['market entries voided wholesale, by reason', /sum by \(cache, detail\) \(increase\(vix_ttl_cache_events_total\{[^}]*type="market_overflow"/],
    ['live workers', /max by \(instance\) \(vix_ttl_cluster_workers\{/],
    ['wanted workers', /max by \(instance\) \(vix_ttl_cluster_workers_wanted\{/],
    ['worker restarts by reason', /sum by \(instance, reason\) \(increase\(vix_ttl_worker_restarts_total/],
    ['crash budget used', /vix_ttl_cluster_worker_exits_in_window/],
    ['crash budget', /vix_ttl_cluster_worker_exits_max/],
    ['workers missing from the aggregated scrape', /vix_ttl_cluster_scrape_workers_missing/],
  ])('has a panel for the %s', (_name, pattern) => {
    const panel = dashboard.panels.find((p) => (p.targets ?? []).some((t) => pattern.test(t.expr)));
    expect(panel).toBeDefined();
  });
});

describe('the Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const { status, output } = promtool(['check', 'rules', 'ops/prometheus/alerts.yml']);
    expect(output).toContain('SUCCESS: 25 rules found');
    expect(status).toBe(0);
  });

  it('pass their unit tests (promtool test rules): extended panic at tier ≥ 3, new normal, fail-safe (paging only live instances; a shadow one warns), the shadow recording rules (38 fresh minutes on two instances is 38, not 76), store errors, store down, VIX publisher failing, cache loader timeouts, cache overloaded, cache bus flapping, cache market entries voided (the first overflow included), panic scope limit, evicting maxmemory-policy, ticks from the future and from the past (stale_ts), panics held back by the publisher (limited) , panics flapping, backend unshielded, log volume, instances disagreeing, workers crashing (half the crash budget) — and a big refresh’s busy writes never page as publish failures', () => {
    const { status, output } = promtool(['test', 'rules', 'ops/prometheus/alerts.test.yml']);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  }, 180_000);
});
