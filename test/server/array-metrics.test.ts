import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { ArrayCounter } from '../../src/server/state/array-counter.js';
import { ArrayHistogram } from '../../src/server/state/array-histogram.js';
import { httpRequest, postJson } from './http-helpers.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];
const OBSERVATIONS: Array<[Record<'method' | 'route', string>, number]> = [
  [{ method: 'POST', route: '/v1/ttl' }, 0.0004],
  [{ method: 'POST', route: '/v1/ttl' }, 0.001], // on a bound: that bucket (le)
  [{ method: 'POST', route: '/v1/ttl' }, 0.003],
  [{ method: 'GET', route: '/metrics' }, 0.2],
  [{ method: 'GET', route: '/metrics' }, 7], // past the largest bound: +Inf only
  [{ method: 'GET', route: 'a "quoted"\\ route\n' }, 0.01],
];

/** The same observations in a prom-client metric and in its array twin, each on its own registry. */
function twins(): { prom: Registry; arrays: Registry } {
  const prom = new Registry();
  const arrays = new Registry();
  const config = { name: 'x_seconds', help: 'A histogram.', labelNames: ['method', 'route'] as const, buckets: BUCKETS };
  const histogram = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [prom] });
  const arrayHistogram = new ArrayHistogram({ ...config, registers: [arrays] });
  const counter = new Counter({ name: 'x_total', help: 'A counter.', labelNames: ['method', 'route'], registers: [prom] });
  const arrayCounter = new ArrayCounter({ name: 'x_total', help: 'A counter.', labelNames: ['method', 'route'], registers: [arrays] });
  for (const [labels, value] of OBSERVATIONS) {
    histogram.observe(labels, value);
    arrayHistogram.series(labels).observe(value);
    counter.inc(labels);
    arrayCounter.cell(labels).value += 1;
  }
  return { prom, arrays };
}

describe('metrics counted in arrays are handed to prom-client at scrape time, unchanged', () => {
  it('render the same Prometheus text as prom-client Histogram and Counter for the same observations', async () => {
    const { prom, arrays } = twins();
    expect(await arrays.metrics()).toBe(await prom.metrics());
  });

  it('aggregate across cluster workers as prom-client metrics do (summed)', async () => {
    const a = twins();
    const b = twins();
    const promText = await AggregatorRegistry.aggregate([await a.prom.getMetricsAsJSON(), await b.prom.getMetricsAsJSON()]).metrics();
    const arraysText = await AggregatorRegistry.aggregate([await a.arrays.getMetricsAsJSON(), await b.arrays.getMetricsAsJSON()]).metrics();
    expect(arraysText).toBe(promText);
    expect(arraysText).toMatch(/^x_seconds_count\{method="POST",route="\/v1\/ttl"\} 6$/m);
  });

  it('a reset zeroes the series in place: a caller holding one keeps counting into the registry', async () => {
    const registry = new Registry();
    const histogram = new ArrayHistogram({ name: 'y_seconds', help: 'y', labelNames: ['k'], buckets: [1], registers: [registry] });
    const series = histogram.series({ k: 'a' });
    series.observe(0.5);
    registry.resetMetrics();
    series.observe(2);
    expect(await registry.metrics()).toContain('y_seconds_bucket{le="1",k="a"} 0\ny_seconds_bucket{le="+Inf",k="a"} 1\ny_seconds_sum{k="a"} 2\ny_seconds_count{k="a"} 1');
  });
});

describe('the service counts decisions and requests in arrays, under the names and labels the ops files use', () => {
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => {
    server = await createServer({ clock: new MemoryPanicClock(), defaultMetrics: false });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => server.app.close());

  it('decisions by mode, tier and importance, fail-safes by reason, requests by method, route and status (HEAD, unmatched and the batch too)', async () => {
    for (let i = 0; i < 3; i += 1) await postJson(`${base}/v1/ttl`, '{"baseTtl":60,"vixStatus":"panic","scope":"epl","match":{"league":"Premier League"}}');
    await postJson(`${base}/v1/ttl`, '{"baseTtl":60,"vixStatus":"calm","match":{"importance":"low_stakes"}}');
    await postJson(`${base}/v1/ttl`, '{"baseTtl":"60"}');
    await postJson(`${base}/v1/ttl/batch`, '{"items":[{"baseTtl":60,"vixStatus":"calm"},{"baseTtl":5,"vixStatus":"calm"},{"baseTtl":-1}]}');
    await httpRequest(`${base}/healthz`, { method: 'HEAD' });
    await httpRequest(`${base}/nowhere`);
    const text = (await httpRequest(`${base}/metrics`)).text;
    expect(text).toMatch(/^vix_ttl_decisions_total\{mode="PANIC_FULL",tier="1",importance="medium_stakes"\} 3$/m);
    expect(text).toMatch(/^vix_ttl_decisions_total\{mode="NORMAL",tier="0",importance="low_stakes"\} 1$/m);
    expect(text).toMatch(/^vix_ttl_decisions_total\{mode="NORMAL",tier="0",importance="medium_stakes"\} 2$/m);
    expect(text).toMatch(/^# TYPE vix_ttl_decisions_total counter$/m);
    expect(text).toMatch(/^vix_ttl_http_request_duration_seconds_count\{method="POST",route="\/v1\/ttl",status_code="200"\} 4$/m);
    expect(text).toMatch(/^vix_ttl_http_request_duration_seconds_count\{method="POST",route="\/v1\/ttl",status_code="400"\} 1$/m);
    expect(text).toMatch(/^vix_ttl_http_request_duration_seconds_count\{method="POST",route="\/v1\/ttl\/batch",status_code="200"\} 1$/m);
    expect(text).toMatch(/^vix_ttl_http_request_duration_seconds_count\{method="HEAD",route="\/healthz",status_code="200"\} 1$/m);
    expect(text).toMatch(/^vix_ttl_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1$/m);
    expect(text).toMatch(/^vix_ttl_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/ttl",status_code="200"\} 4$/m);
    expect(text).toMatch(/^# TYPE vix_ttl_http_request_duration_seconds histogram$/m);
  });

  it('a fail-safe decision is counted under its reason', async () => {
    const limited = await createServer({ clock: new MemoryPanicClock(), defaultMetrics: false, maxPanicScopes: 1 });
    try {
      await limited.app.inject({ method: 'POST', url: '/v1/ttl', payload: { baseTtl: 60, vixStatus: 'panic', scope: 'first' } });
      await limited.app.inject({ method: 'POST', url: '/v1/ttl', payload: { baseTtl: 60, vixStatus: 'panic', scope: 'second' } });
      const text = await limited.telemetry.metrics.render();
      expect(text).toMatch(/^vix_ttl_fail_safe_total\{reason="scope_limit"\} 1$/m);
      expect(text).toMatch(/^vix_ttl_decisions_total\{mode="PANIC_FULL",tier="1",importance="medium_stakes"\} 2$/m);
    } finally {
      await limited.app.close();
    }
  });
});
