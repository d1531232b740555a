import { describe, expect, it } from 'vitest';
import { useServeOnRedis } from '../support/use-serve-on-redis.js';
import { eventually, httpRequest } from './http-helpers.js';

const MAX_PANIC_SCOPES = 1000;
const FLOOD = 5000;
const CONNECTIONS = 32;
const PREFIX = 'brain:panic_start_ts';

/** What the tests read of a `POST /v1/ttl` answer. */
interface Decision {
  tier: number;
  ttl: number;
  failSafe: boolean;
  reason?: string;
}

function counter(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

describe(`one anonymous client cannot fill Redis: a real serve process (--max-panic-scopes ${MAX_PANIC_SCOPES}), ${FLOOD} panics with new scope names`, () => {
  // An evicting policy, as in the report: the service warns about it at start.
  const served = useServeOnRedis({ redisArgs: ['--maxmemory-policy', 'allkeys-lru'], args: ['--max-panic-scopes', String(MAX_PANIC_SCOPES)], env: { LOG_LEVEL: 'info' } });

  /** A decision of the service, which answers every one 200 (fail-safe or not). */
  const post = async (body: object): Promise<Decision> => {
    const response = await fetch(`${served.base}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return (await response.json()) as Decision;
  };

  it('at most maxPanicScopes starts are written, the rest fail safe (scope_limit), counted, logged once; a live tier-3 scope keeps its start and its tier', async () => {
    const admin = served.client;
    /** The live scope: tier 3 — or, on a loaded machine, a store timeout (the service's 50 ms budget) — never refused. */
    const expectLive = (decision: Decision) => {
      if (decision.failSafe) expect(['store_timeout', 'store_busy']).toContain(decision.reason);
      else expect(decision).toMatchObject({ tier: 3, ttl: 30 });
    };
    const live = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl-live' };
    const [seconds] = await admin.time();
    const liveStart = (Number(seconds) - 100 * 60).toFixed(6);
    await admin.set(`${PREFIX}:epl-live`, liveStart, 'EX', 86_400);
    // On a loaded machine any one decision may fail safe (the service's 50 ms budget): the first that does not is read.
    let decided = await post(live);
    await eventually(async () => !(decided = await post(live)).failSafe, 5000, 'the live scope decided');
    expect(decided).toMatchObject({ tier: 3, ttl: 30, failSafe: false });

    let next = 0;
    const reasons: Record<string, number> = {};
    let liveDuring = 0;
    const lane = async () => {
      while (next < FLOOD) {
        const i = (next += 1);
        const decision = await post({ baseTtl: 60, vixStatus: 'panic', scope: `flood-${i}` });
        const key = decision.failSafe ? (decision.reason ?? 'unknown') : 'written';
        reasons[key] = (reasons[key] ?? 0) + 1;
        if (i % 250 === 0) {
          expectLive(await post(live));
          liveDuring += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, lane));

    const floodKeys = (await admin.keys(`${PREFIX}:flood-*`)).length;
    const metrics = (await httpRequest(`${served.base}/metrics`)).text;
    const limitLines = served.service.lines.filter((l) => l.msg === 'VIX_TTL_PANIC_SCOPE_LIMIT');
    console.log(JSON.stringify({ flood: FLOOD, reasons, floodKeys, dbsize: await admin.dbsize(), limitLogLines: limitLines.length }));

    // One slot is the live scope's: at most 999 flood scopes were written (on a loaded machine a few
    // answer store_timeout, and keep their slot: the start may have been written). The rest were only
    // read, found no start and were refused (or the read itself timed out or was refused unsent: a
    // store_busy answer was never sent, and gives back the slot of a panic that had one).
    const { written = 0, scope_limit: refused = 0, store_timeout: timedOut = 0, store_busy: busy = 0, ...other } = reasons;
    expect(other).toEqual({});
    expect(written + refused + timedOut + busy).toBe(FLOOD);
    expect(written).toBeLessThanOrEqual(MAX_PANIC_SCOPES - 1);
    expect(refused + timedOut + busy).toBeGreaterThanOrEqual(FLOOD - (MAX_PANIC_SCOPES - 1));
    expect(floodKeys).toBeLessThanOrEqual(MAX_PANIC_SCOPES - 1);
    expect(floodKeys).toBeGreaterThanOrEqual(written);
    expect(await admin.get(`${PREFIX}:epl-live`)).toBe(liveStart);
    expect(liveDuring).toBe(FLOOD / 250);
    await eventually(async () => !(decided = await post(live)).failSafe, 5000, 'a live decision');
    expect(decided).toMatchObject({ tier: 3, ttl: 30, failSafe: false });

    expect(counter(metrics, /^vix_ttl_fail_safe_total\{reason="scope_limit"\} (\d+)$/m)).toBe(refused);
    expect(metrics).toMatch(new RegExp(`^vix_ttl_panic_scopes ${MAX_PANIC_SCOPES}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^vix_ttl_panic_scopes_max ${MAX_PANIC_SCOPES}$`, 'm'));
    expect(limitLines).toHaveLength(1);
    expect(limitLines[0]).toMatchObject({ level: 40, max_panic_scopes: MAX_PANIC_SCOPES, held: MAX_PANIC_SCOPES });
    // The refused names did not push the real scope out of the per-scope metrics.
    expect(metrics).toMatch(/^vix_ttl_current_tier\{scope="epl-live",importance="medium_stakes"\} 3$/m);

    // The evicting maxmemory-policy was reported at start, and is in /readyz and the metrics.
    expect(served.service.lines.some((l) => String(l.msg).startsWith('VIX_TTL_STORE_CAN_EVICT_PANIC_STARTS') && l.policy === 'allkeys-lru')).toBe(true);
    expect((await httpRequest(`${served.base}/readyz`)).json()).toMatchObject({ status: 'ready', store: { eviction: { policy: 'allkeys-lru', canEvictPanicStarts: true } } });
    expect(metrics).toContain('vix_ttl_store_maxmemory_policy{policy="allkeys-lru",evicts_panic_starts="true"} 1');
  }, 90_000);

  it('with every slot taken by the flood, a panic live in Redis (tier 3, begun by another host) is read and decided from its start, not locked out; a new panic with no start is scope_limit and writes nothing', async () => {
    const admin = served.client;
    expect((await httpRequest(`${served.base}/metrics`)).text).toMatch(new RegExp(`^vix_ttl_panic_scopes ${MAX_PANIC_SCOPES}$`, 'm'));
    const [seconds] = await admin.time();
    const start = (Number(seconds) - 100 * 60).toFixed(6);
    await admin.set(`${PREFIX}:ucl`, start, 'EX', 86_400);
    const ucl = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'ucl' };
    await eventually(async () => !(await post(ucl)).failSafe, 5000, 'a decision from the stored start'); // a 50 ms store timeout on a loaded machine is fail-safe
    expect(await post(ucl)).toMatchObject({ tier: 3, ttl: 30, failSafe: false });
    expect(await admin.get(`${PREFIX}:ucl`)).toBe(start);

    const dbsize = await admin.dbsize();
    const fresh = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'real-new' };
    await eventually(async () => (await post(fresh)).reason === 'scope_limit', 5000, 'a scope_limit answer');
    expect(await admin.exists(`${PREFIX}:real-new`)).toBe(0);
    expect(await admin.dbsize()).toBe(dbsize);
    // A scrape may show a render up to 1 s old (renders are shared and reused for a second).
    await eventually(async () => /^vix_ttl_current_tier\{scope="ucl",importance="medium_stakes"\} 3$/m.test((await httpRequest(`${served.base}/metrics`)).text), 5000, 'ucl at tier 3 in the metrics');
  }, 60_000);
});
