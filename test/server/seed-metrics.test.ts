import { spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/clock/memory-panic-clock.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { VixPublisher, type PublishEvent } from '../../src/vix/vix-publisher.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { LogVolume, MAX_EVENTS } from '../../src/server/state/log-volume.js';
import { PanicEpisodes } from '../../src/server/state/panic-episodes.js';
import { MINUTE, stream } from '../vix/vix-streams.js';
import { postJson } from './http-helpers.js';

// The metrics the seeds planned (issue 14, item 3): the distribution of decided TTLs,
// a histogram of how long panics lasted, and log lines by event against decisions.

const servers: VixTtlServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.app.close()));
});

async function serve(options: Partial<Parameters<typeof createServer>[0]> & { clock: MemoryPanicClock }): Promise<{ server: VixTtlServer; base: string; scrape: () => Promise<string> }> {
  const server = await createServer({ vixSource: null, defaultMetrics: false, syncIntervalMs: 0, metricsMaxAgeMs: 0, ...options }); // every scrape renders anew
  servers.push(server);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const base = server.app.listeningOrigin;
  return { server, base, scrape: async () => (await fetch(`${base}/metrics`)).text() };
}

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

function promtoolCheck(text: string): string {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim();
}

describe('vix_ttl_decision_ttl_seconds: the TTLs decided, by importance', () => {
  it('each decision lands in the bucket of its TTL; TTL 0 is its own bucket (the backend takes the request)', async () => {
    const clock = new MemoryPanicClock();
    await clock.startPanic('epl', { ageMs: 45 * MINUTE });
    const { base, scrape } = await serve({ clock });
    const post = (body: object) => postJson(`${base}/v1/ttl`, JSON.stringify(body));
    await post({ baseTtl: 60, vixStatus: 'calm', match: { league: 'Premier League' }, scope: 'calm-scope' }); // medium, 60 s
    await post({ baseTtl: 60, vixStatus: 'calm', match: { league: 'Premier League' }, scope: 'calm-scope' }); // medium, 60 s
    await post({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl' }); // medium, 45 min: tier 2, 5 s
    await post({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Champions League' }, scope: 'epl' }); // high, 45 min: tier 1, 0 s
    const text = await scrape();
    expect(value(text, 'vix_ttl_decision_ttl_seconds_bucket{importance="medium_stakes",le="0"}')).toBe(0);
    expect(value(text, 'vix_ttl_decision_ttl_seconds_bucket{importance="medium_stakes",le="5"}')).toBe(1);
    expect(value(text, 'vix_ttl_decision_ttl_seconds_bucket{importance="medium_stakes",le="45"}')).toBe(1);
    expect(value(text, 'vix_ttl_decision_ttl_seconds_bucket{importance="medium_stakes",le="60"}')).toBe(3);
    expect(value(text, 'vix_ttl_decision_ttl_seconds_sum{importance="medium_stakes"}')).toBe(125);
    expect(value(text, 'vix_ttl_decision_ttl_seconds_count{importance="medium_stakes"}')).toBe(3);
    expect(value(text, 'vix_ttl_decision_ttl_seconds_bucket{importance="high_stakes",le="0"}')).toBe(1);
    expect(value(text, 'vix_ttl_decision_ttl_seconds_bucket{importance="low_stakes",le="+Inf"}')).toBe(0); // every importance from the start
    expect(promtoolCheck(text)).toBe('');
  });
});

describe('vix_ttl_panic_episode_duration_seconds: how long panics lasted, observed when each ends', () => {
  it('a calm decision that removes a 50-minute-old start observes one panic of 50 minutes; the calm decisions after it observe nothing', async () => {
    const clock = new MemoryPanicClock();
    await clock.startPanic('ucl-final', { ageMs: 50 * MINUTE });
    const { base, scrape } = await serve({ clock });
    const before = await scrape();
    expect(value(before, 'vix_ttl_panic_episode_duration_seconds_count')).toBe(0); // the family is there before any panic ends
    for (let i = 0; i < 3; i += 1) await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'calm', scope: 'ucl-final' }));
    const text = await scrape();
    expect(value(text, 'vix_ttl_panic_episode_duration_seconds_count')).toBe(1);
    expect(value(text, 'vix_ttl_panic_episode_duration_seconds_sum')).toBeGreaterThanOrEqual(3000);
    expect(value(text, 'vix_ttl_panic_episode_duration_seconds_sum')).toBeLessThan(3060);
    expect(value(text, 'vix_ttl_panic_episode_duration_seconds_bucket{le="2700"}')).toBe(0);
    expect(value(text, 'vix_ttl_panic_episode_duration_seconds_bucket{le="3600"}')).toBe(1);
    expect(promtoolCheck(text)).toBe('');
  });

  it('with calmGraceSeconds every calm observation in the grace shows the start: the panic is still observed once', async () => {
    const clock = new MemoryPanicClock({ calmGraceSeconds: 600 });
    await clock.startPanic('epl', { ageMs: 20 * MINUTE });
    const { base, scrape } = await serve({ clock });
    for (let i = 0; i < 5; i += 1) await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'calm', scope: 'epl' }));
    expect((await clock.inspect('epl')).inGrace).toBe(true);
    expect(value(await scrape(), 'vix_ttl_panic_episode_duration_seconds_count')).toBe(1);
  });

  it('each panic the VIX publisher ends is observed once, with its duration on the clock', async () => {
    let now = Date.UTC(2026, 5, 14, 20, 0);
    const clock = new MemoryPanicClock({ now: () => now });
    const engine = new VixEngine();
    const publisher = new VixPublisher({ engine, clock });
    const registry = new Registry();
    const following = PanicEpisodes.on(registry).follow(publisher);
    const removals: PublishEvent[] = [];
    publisher.onPublish((e) => void (e.removedStart && removals.push(e)));
    try {
      const ticks = stream({ seed: 81, durationMs: 40 * MINUTE, events: [{ scope: 'a', atMs: 20 * MINUTE, durationMs: 4 * MINUTE, volatility: 10 }] });
      let i = 0;
      while (engine.status('a') !== 'panic') engine.ingest(ticks[i++]);
      await publisher.idle();
      now += 17 * MINUTE; // the clock's time: the panic lasts 17 minutes on it
      while (engine.status('a') !== 'calm') engine.ingest(ticks[i++]);
      await publisher.idle();
      // The shock in `a` may move `global` too: each panic a calm write removed is one observation, of its length on the clock.
      const ends = removals.map((e) => (e.observation!.clockNowMs - e.observation!.startedAtMs!) / 1000);
      expect(removals.find((e) => e.scope === 'a') && ends[removals.findIndex((e) => e.scope === 'a')]).toBe(17 * 60);
      const text = await registry.metrics();
      expect(value(text, 'vix_ttl_panic_episode_duration_seconds_count')).toBe(ends.length);
      expect(value(text, 'vix_ttl_panic_episode_duration_seconds_sum')).toBe(ends.reduce((a, b) => a + b, 0));
      expect(value(text, 'vix_ttl_panic_episode_duration_seconds_bucket{le="1800"}')).toBe(ends.length);
      await publisher.idle();
      expect(value(await registry.metrics(), 'vix_ttl_panic_episode_duration_seconds_count')).toBe(ends.length);
      expect(PanicEpisodes.on(registry)).toBe(PanicEpisodes.on(registry)); // one per registry: the breaker's and the publisher's side share it
    } finally {
      following.dispose();
      await publisher.close();
    }
  });
});

describe('vix_ttl_log_lines_total: lines written by event and level, against decisions (log on change)', () => {
  it('at info, 200 decisions in one state write one VIX_TTL_STATE_CHANGE line; at debug, one VIX_TTL_DECISION line for each of the others', async () => {
    for (const level of ['info', 'debug'] as const) {
      const volume = new LogVolume();
      const written: string[] = [];
      const logger = pino({ level, hooks: volume.hooks }, { write: (line: string) => void written.push(line) });
      const clock = new MemoryPanicClock();
      const { base, scrape } = await serve({ clock, logger, logVolume: volume });
      for (let i = 0; i < 200; i += 1) await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'calm', scope: 'steady' }));
      const text = await scrape();
      expect(value(text, 'vix_ttl_decisions_total{mode="NORMAL",tier="0",importance="medium_stakes"}')).toBe(200);
      expect(value(text, 'vix_ttl_log_lines_total{event="VIX_TTL_STATE_CHANGE",level="info"}')).toBe(1);
      expect(value(text, 'vix_ttl_log_lines_total{event="VIX_TTL_DECISION",level="debug"}')).toBe(level === 'debug' ? 199 : undefined);
      // A line counted is a line written: the counts add up to what the destination received.
      const counted = volume.snapshot().reduce((sum, row) => sum + row.lines, 0);
      expect(counted).toBe(written.length);
      expect(promtoolCheck(text)).toBe('');
    }
  });

  it('event names are bounded: free text is "other", and past 64 names every new one is "other" too', () => {
    const volume = new LogVolume();
    const logger = pino({ level: 'info', hooks: volume.hooks }, { write: () => undefined });
    logger.info('Server listening at http://127.0.0.1:8080');
    logger.warn({ scope: 'x' }, 'VIX_STALE_PANIC_REMOVED: the store held a panic this engine does not have');
    logger.error(new Error('boom'));
    for (let i = 0; i < 500; i += 1) logger.info({ i }, `HOSTILE_EVENT_${i}`);
    logger.info({}, `HOSTILE_EVENT_${'X'.repeat(100)}`);
    const rows = volume.snapshot();
    const events = new Set(rows.map((r) => r.event));
    expect(events.size).toBeLessThanOrEqual(MAX_EVENTS + 1);
    expect(events.has('VIX_STALE_PANIC_REMOVED')).toBe(true);
    expect(rows.find((r) => r.event === 'other' && r.level === 'error')?.lines).toBe(1);
    expect(rows.reduce((sum, r) => sum + r.lines, 0)).toBe(504);
  });
});
