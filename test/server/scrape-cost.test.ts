import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceStateSnapshot } from '../../src/server/state/service-state.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { useServiceOnRedis } from '../support/use-service-on-redis.js';
import { httpRequest, postJson } from './http-helpers.js';

const SCOPES = 400;

function scripts(delta: Record<string, number>): number {
  return (delta.evalsha ?? 0) + (delta.eval ?? 0);
}

/** Every command Redis ran, scripts' inner commands included, minus the INFO calls of the measurement itself. */
function commands(delta: Record<string, number>): number {
  return Object.entries(delta).reduce((sum, [name, count]) => (name === 'info' ? sum : sum + count), 0);
}

describe(`a scrape costs Redis nothing per scope: ${SCOPES} tracked scopes on a real redis-server`, () => {
  const served = useServiceOnRedis({ clockTimeoutMs: 1000, timeoutMs: 1000, maxTrackedScopes: SCOPES, vixSource: null });

  beforeAll(async () => {
    for (let batch = 0; batch < SCOPES; batch += 50) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => postJson(`${served.base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: `s-${batch + i}` }))),
      );
      for (const response of responses) expect(response.status).toBe(200);
    }
  }, 60_000);

  it('one scrape shows every scope and runs O(1) Redis commands (INFO commandstats), 20 scrapes in a row too', async () => {
    const before = await commandCalls(served.client);
    const first = (await httpRequest(`${served.base}/metrics`)).text;
    const afterOne = diffCalls(before, await commandCalls(served.client));
    for (let i = 0; i < 19; i += 1) await httpRequest(`${served.base}/metrics`);
    const afterTwenty = diffCalls(before, await commandCalls(served.client));
    console.log(JSON.stringify({ scopes: SCOPES, oneScrape: afterOne, twentyScrapes: afterTwenty }));

    const tracked = new Set([...first.matchAll(/^vix_ttl_current_tier\{scope="(s-\d+)",importance="medium_stakes"\} 1$/gm)].map((m) => m[1]));
    expect(tracked.size).toBe(SCOPES);
    expect(first).toMatch(/^vix_ttl_panic_active\{scope="s-399"\} 1$/m);
    // A scrape reads local state; at most the periodic health check (one script every 5 s) may fall in the window.
    expect(scripts(afterOne)).toBeLessThanOrEqual(1);
    expect(commands(afterOne)).toBeLessThanOrEqual(5);
    expect(scripts(afterTwenty)).toBeLessThanOrEqual(2);
  });

  it('GET /v1/state and the event stream inspect at most 16 scopes per build, whatever the number of scopes', async () => {
    // Decisions made the readings; once they are older than 1 s a build re-reads the stalest 16.
    await new Promise((r) => setTimeout(r, 1200));
    const before = await commandCalls(served.client);
    const state = (await httpRequest(`${served.base}/v1/state`)).json() as unknown as ServiceStateSnapshot;
    const one = diffCalls(before, await commandCalls(served.client));
    expect(state.scopes.length).toBe(SCOPES + 1);
    const epl = state.scopes.find((s) => s.scope === 's-7')!;
    expect(epl.panic).toMatchObject({ active: true });
    expect(epl.tiers?.medium_stakes.tier).toBe(1);
    expect(scripts(one)).toBeLessThanOrEqual(16 + 1);
    expect(scripts(one)).toBeGreaterThan(0);

    // A flood of state requests shares builds (250 ms) and each build stays bounded.
    const flood = await commandCalls(served.client);
    const started = Date.now();
    let requests = 0;
    while (Date.now() - started < 2000) {
      await Promise.all(Array.from({ length: 10 }, () => httpRequest(`${served.base}/v1/state`)));
      requests += 10;
    }
    const floodDelta = diffCalls(flood, await commandCalls(served.client));
    const builds = Math.ceil((Date.now() - started) / 250) + 1;
    console.log(JSON.stringify({ stateRequests: requests, scripts: scripts(floodDelta), boundBuilds: builds }));
    expect(scripts(floodDelta)).toBeLessThanOrEqual(builds * 16 + 2);
  });
});
