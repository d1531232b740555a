import { describe, expect, it } from 'vitest';
import { MemoryPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { ServiceTelemetry } from '../../src/server/state/service-telemetry.js';

const panic = (scope: string) => ({ baseTtl: 60, vixStatus: 'panic' as const, match: { league: 'Ligue 1' }, scope });

async function storeSamples(telemetry: ServiceTelemetry): Promise<number> {
  const metric = await telemetry.metrics.registry.getSingleMetric('vix_ttl_store_latency_seconds')!.get();
  return (metric.values as Array<{ metricName?: string; value: number }>).filter((v) => v.metricName === 'vix_ttl_store_latency_seconds_count').reduce((sum, v) => sum + v.value, 0);
}

describe('the service telemetry and the breaker’s batches', () => {
  it('the store latency histogram counts a round trip once, however many scopes it carried', async () => {
    const telemetry = new ServiceTelemetry({ defaultMetrics: false });
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: () => now }), now: () => now, maxPanicScopes: 10_000 });
    telemetry.attach(breaker);
    await Promise.all(Array.from({ length: 500 }, (_, i) => breaker.getTtl(panic(`m-${i}`))));
    expect(await storeSamples(telemetry)).toBe(1);
    now += 100;
    await breaker.getTtl(panic('m-0')); // starts a refresh round of the 500 scopes
    await new Promise((resolve) => setImmediate(resolve));
    expect(await storeSamples(telemetry)).toBe(2);
  });

  it('refresh rounds keep the tracked scopes fresh but bring no new scope into the tracker', async () => {
    const telemetry = new ServiceTelemetry({ defaultMetrics: false, maxTrackedScopes: 10 });
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: () => now }), now: () => now, maxPanicScopes: 10_000 });
    telemetry.attach(breaker);
    for (let i = 0; i < 100; i += 1) await breaker.getTtl(panic(`m-${i}`));
    const tracked = () => telemetry.scopes.list().map((a) => a.scope);
    const before = tracked();
    expect(before).toHaveLength(11); // global and the 10 most recent
    const knownAt = telemetry.scopes.peek('m-99')!.knowledge!.atMs;
    now += 100;
    await new Promise((resolve) => setTimeout(resolve, 5)); // the knowledge's real-time stamp moves on
    await breaker.getTtl({ ...panic('m-99') }); // a round: every one of the 100 scopes is read again
    await new Promise((resolve) => setImmediate(resolve));
    expect(tracked()).toEqual(before);
    expect(telemetry.scopes.peek('m-95')!.knowledge!.atMs).toBeGreaterThan(knownAt);
  });
});
