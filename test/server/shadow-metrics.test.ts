import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AdaptivePanicQuota, InvalidConfigError, MemoryPanicClock, ShadowLedger, shadowDecision } from '../../src/index.js';
import { createServer, ServiceMetrics } from '../../src/server/index.js';

describe('vix_ttl_shadow_* across the workers of one service (prom-client cluster aggregation)', () => {
  it('decisions and TTL seconds are summed; the time-weighted seconds are the largest worker’s, not counted once per worker', async () => {
    const tier1 = shadowDecision(60, new AdaptivePanicQuota().calculateTtlStrategy(60, 1, { importance: 'high_stakes' }));
    const workers = [3, 5].map((decisions) => {
      let now = 0;
      const ledger = new ShadowLedger({ now: () => now });
      // Both workers serve the same scope through the same 40 s of panic (a load balancer spreads callers).
      for (let i = 0; i < decisions; i += 1) {
        ledger.record('ucl', tier1);
        now += 40_000 / decisions;
      }
      now = 40_000;
      const metrics = new ServiceMetrics({ defaultMetrics: false });
      metrics.setSources({ shadow: () => ledger.totals() });
      metrics.shadowMode(true);
      return metrics;
    });
    const aggregated = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON())));
    const text = await aggregated.metrics();
    const labels = '{importance="high_stakes",tier="1",outcome="fresher"}';
    expect(text).toContain(`vix_ttl_shadow_decisions_total${labels} 8`);
    expect(text).toContain(`vix_ttl_shadow_ttl_difference_seconds_total${labels} 480`);
    expect(text).toMatch(new RegExp(`^vix_ttl_shadow_served_seconds_total${labels.replace(/[{}]/g, '\\$&')} 40$`, 'm'));
    expect(text).toMatch(/^vix_ttl_shadow_mode 1$/m);
  });
});

describe('createServer({ shadow })', () => {
  it('must be a boolean: anything else is refused naming createServer.shadow', async () => {
    for (const shadow of ['true', 1, null]) {
      const error = await createServer({ clock: new MemoryPanicClock(), shadow: shadow as unknown as boolean }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as Error).message).toMatch(/^createServer\.shadow: /);
    }
  });
});
