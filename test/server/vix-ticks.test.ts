import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import type { ServiceStateSnapshot } from '../../src/server/state/service-state.js';
import type { TickBatchAnswer } from '../../src/server/vix/vix-source.js';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { startWorkerService } from '../support/worker-service.js';
import { eventually, httpRequest, postJson, readEvents } from './http-helpers.js';

const MINUTE = 60_000;

type Tick = Record<string, unknown> & { ts: number };

/**
 * Ticks of two matches, 2 a second each: ten calm minutes (the warm-up), then a
 * goal in `rma-bay` (returns ×10 for one minute) ending at `shockEndMs`, then calm
 * again for `calmAfterMs`; `psg-bvb` stays calm. Split at the end of the shock.
 */
function matchTicks(shockEndMs: number, calmAfterMs: number, seed = 7): { toShock: Tick[]; after: Tick[] } {
  const startMs = shockEndMs - 11 * MINUTE;
  const scopes = [
    { scope: 'rma-bay', markets: 4, meanGapMs: 2000 },
    { scope: 'psg-bvb', markets: 4, meanGapMs: 2000 },
  ];
  const events = [{ scope: 'rma-bay', atMs: 10 * MINUTE, durationMs: MINUTE, volatility: 10, jump: 0.3 }];
  const ticks = [...simulateTicks({ seed, startMs, durationMs: 11 * MINUTE + calmAfterMs, scopes, events })].map((r) => r.tick as Tick);
  return { toShock: ticks.filter((t) => t.ts < shockEndMs), after: ticks.filter((t) => t.ts >= shockEndMs) };
}

async function state(base: string): Promise<ServiceStateSnapshot> {
  return (await httpRequest(`${base}/v1/state`)).json() as unknown as ServiceStateSnapshot;
}

describe('POST /v1/ticks over a real socket', () => {
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => {
    // The shock test posts a quarter of an hour of history at once: the engine takes it (ticks up to 20 minutes old) and
    // warms the scopes up on it (warmupMs 0); by default it warms a scope on its own time, the wall clock here.
    const history = { maxTickAgeMs: 20 * MINUTE, vixEngine: { warmupMs: 0, scopeIdleMs: 60 * MINUTE, maxLagMs: 20 * MINUTE } };
    server = await createServer({ clock: new MemoryPanicClock(), eventIntervalMs: 200, ...history });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => server.app.close());

  it('a valid batch is ingested in order: accepted and rejected counts, per-reason counts, the first rejections with their index', async () => {
    const ts = Date.now() - 60_000;
    const ticks = [
      { market: 'm1', price: 2.1, ts, scope: 'epl' },
      { market: 'm1', price: 2.2, ts: ts + 1000, scope: 'epl' },
      { market: 'm1', price: 2.3, ts: ts + 1000, scope: 'epl' }, // same ts: duplicate
      { market: 'm2', price: 0.9, ts, scope: 'epl' }, // price ≤ 1
      { market: 'm2', price: 3, ts: new Date(ts).toISOString(), scope: 'no spaces allowed' },
      { market: 'm3', price: 1.5, ts: 'half past nine' },
      { market: 'm3', price: 1.5 },
      ['m4', 2, ts],
      { market: 'm4', price: 1.8, ts: new Date(ts + 500).toISOString(), extra: 'ignored' },
    ];
    const response = await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks }));
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const answer = response.json() as unknown as TickBatchAnswer;
    expect(answer).toEqual({
      accepted: 3,
      rejected: 6,
      byReason: { duplicate: 1, bad_price: 1, bad_scope: 1, bad_ts: 1, missing_field: 1, malformed: 1 },
      rejections: [
        { index: 2, reason: 'duplicate', rule: 'ignore' },
        { index: 3, reason: 'bad_price', rule: 'reject' },
        { index: 4, reason: 'bad_scope', rule: 'reject' },
        { index: 5, reason: 'bad_ts', rule: 'reject' },
        { index: 6, reason: 'missing_field', rule: 'reject' },
        { index: 7, reason: 'malformed', rule: 'reject' },
      ],
    });
    const empty = await postJson(`${base}/v1/ticks`, '{"ticks":[]}');
    expect(empty.json()).toEqual({ accepted: 0, rejected: 0, byReason: {}, rejections: [] });
  });

  // [label, raw body, field named in the error]
  const malformed: Array<[string, string, string]> = [
    ['an empty object', '{}', 'ticks'],
    ['ticks as an object', '{"ticks":{"market":"m","price":2,"ts":1}}', 'ticks'],
    ['ticks as a string', '{"ticks":"m,2,1"}', 'ticks'],
    ['ticks as a number', '{"ticks":3}', 'ticks'],
    ['null ticks', '{"ticks":null}', 'ticks'],
    ['ticks misspelt (ticks is then missing)', '{"tick":[]}', 'ticks'],
    ['an unknown field beside ticks', '{"ticks":[],"source":"feed-1"}', 'source'],
    ['__proto__ inside a tick', '{"ticks":[{"market":"m","price":2,"ts":1,"__proto__":{"x":1}}]}', 'ticks.0.__proto__'],
    ['constructor.prototype at the top', '{"ticks":[],"constructor":{"prototype":{}}}', 'constructor.prototype'],
    ['__proto__ spelt with \\u escapes in the second tick', '{"ticks":[{"market":"m","price":2,"ts":1},{"\\u005f_pro\\u0074o__":{"x":1}}]}', 'ticks.1.__proto__'],
    ['prototype spelt with a \\u escape', '{"ticks":[],"constructor":{"\\u0070rototype":{}}}', 'constructor.prototype'],
    ['an array body (the ticks without the wrapper)', '[{"market":"m","price":2,"ts":1}]', 'body'],
    ['a null body', 'null', 'body'],
    ['a string body', '"ticks"', 'body'],
    ['truncated JSON', '{"ticks":[{"market":"m",', 'body'],
    ['an empty body', '', 'body'],
  ];

  it.each(malformed)('400 naming the field: %s', async (_name, body, field) => {
    const response = await postJson(`${base}/v1/ticks`, body);
    expect(response.status).toBe(400);
    const error = response.json();
    expect(error).toMatchObject({ field });
    expect(['invalid_body', 'invalid_json']).toContain(error.error);
    expect(error.message).toMatch(new RegExp(`^${field.replace(/[.$]/g, '\\$&')} `));
  });

  it('a deeply nested body is a 400 naming the field, before it is parsed (as POST /v1/ttl/batch refuses one), and the service keeps serving', async () => {
    const depth = 200_000;
    const deepTick = await postJson(`${base}/v1/ticks`, `{"ticks":[{"market":"m","price":2,"ts":1},{"market":"m","price":2,"ts":2,"x":${'['.repeat(depth)}${']'.repeat(depth)}}]}`);
    expect(deepTick.status).toBe(400);
    expect(deepTick.json()).toEqual({ error: 'invalid_body', field: 'ticks.1', message: 'ticks.1 must be a flat tick { market, price, ts, scope? }: it nests deeper than 2 levels' });
    const deepField = await postJson(`${base}/v1/ticks`, `{"source":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"ticks":[]}`);
    expect(deepField.status).toBe(400);
    expect(deepField.json()).toMatchObject({ error: 'invalid_body', field: 'body', message: expect.stringMatching(/nests deeper than 4 levels/) });
    expect((await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: [] }))).status).toBe(200);
  });

  it('400 naming the body when there is none at all (a POST without a content type), never a 500', async () => {
    for (const headers of [{}, { 'content-length': '0' }] as Array<Record<string, string>>) {
      const response = await httpRequest(`${base}/v1/ticks`, { method: 'POST', headers });
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_body', field: 'body' });
    }
  });

  it('413 with the JSON error shape for more than 10,000 ticks, and for a body over 1 MiB', async () => {
    const many = await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: Array.from({ length: 10_001 }, () => ({})) }));
    expect(many.status).toBe(413);
    expect(many.json()).toEqual({ error: 'too_many_ticks', field: 'ticks', message: 'ticks must hold at most 10000 ticks per batch, got 10001; split the batch' });
    const big = await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: [{ market: 'x'.repeat(1_100_000), price: 2, ts: 1 }] }));
    expect(big.status).toBe(413);
    expect(big.json()).toMatchObject({ error: 'body_too_large', field: 'body' });
    // The other routes keep their 16 KiB limit.
    const ttl = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, match: { league: 'x'.repeat(20_000) } }));
    expect(ttl.status).toBe(413);
  });

  it('after a shock batch, /v1/state shows each scope’s index and status (warm, pending change), the published panic and a transition event', async () => {
    const stream = readEvents(base, (events) => events.some((e) => e.event === 'transition' && e.data.scope === 'rma-bay'));
    await stream.opened;
    const { toShock: ticks, after } = matchTicks(Date.now() - 4 * MINUTE, 4 * MINUTE); // all in the past: the service takes no tick past now + 60 s
    const posted = (await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks }))).json();
    expect(posted).toMatchObject({ accepted: ticks.length, rejected: 0 });
    await stream.finished;
    const transition = stream.events.find((e) => e.event === 'transition' && e.data.scope === 'rma-bay')!.data;
    expect(transition).toMatchObject({ scope: 'rma-bay', from: 'calm', to: 'panic', cause: 'index', seq: expect.any(Number) });

    let snapshot!: ServiceStateSnapshot;
    // A state build is shared for a short while: one begun while the batch was still being
    // ingested may show the panic before the last ticks are counted; wait for one that shows both.
    await eventually(async () => {
      snapshot = await state(base);
      return snapshot.scopes.find((s) => s.scope === 'rma-bay')?.panic?.active === true && (snapshot.vix?.ticks.accepted ?? 0) >= ticks.length;
    }, 10_000, 'the published panic and every tick counted');
    const shocked = snapshot.scopes.find((s) => s.scope === 'rma-bay')!;
    expect(shocked.vix).toMatchObject({ status: 'panic', warm: true, pending: null });
    expect(shocked.vix!.index).toBeGreaterThan(4);
    expect(shocked.tiers!.medium_stakes).toMatchObject({ tier: 1, ttl: 0 });
    expect(shocked.decisions).toBe(0); // listed because the engine follows it
    const calm = snapshot.scopes.find((s) => s.scope === 'psg-bvb')!;
    expect(calm.vix).toMatchObject({ status: 'calm', warm: true });
    expect(calm.panic?.active).toBe(false);
    expect(snapshot.vix).toMatchObject({ location: 'engine', publishing: true, thresholds: { panic: { enter: 4, exit: 2 } } });
    expect(snapshot.vix!.ticks.accepted).toBeGreaterThanOrEqual(ticks.length);
    expect(snapshot.vix!.recent.map((t) => `${t.scope}:${t.to}`)).toContain('rma-bay:panic');

    // Publisher mode over HTTP: no vixStatus, the published panic decides.
    const decision = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, scope: 'rma-bay', match: { league: 'Premier League' } }));
    expect(decision.json()).toMatchObject({ tier: 1, ttl: 0, mode: 'PANIC_FULL', failSafe: false });

    // After the goal, calm ticks (ten seconds per batch; their timestamps run faster than the wall clock):
    // the way back to calm shows as a pending change with its countdown in tick time, then happens.
    const pendings: Array<{ status: string; inMs: number }> = [];
    for (let from = 0; after.some((t) => t.ts >= after[0]!.ts + from); from += 10_000) {
      const batch = after.filter((t) => t.ts >= after[0]!.ts + from && t.ts < after[0]!.ts + from + 10_000);
      await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: batch }));
      const reading = server.vix!.view()!.scopes.find((s) => s.scope === 'rma-bay')!;
      if (reading.pending) pendings.push(reading.pending);
      if (reading.status === 'calm') break;
    }
    expect(pendings.length).toBeGreaterThanOrEqual(4);
    // Below panic.exit first (→ elevated), then below elevated.exit too (→ calm): one move, straight to calm.
    expect(pendings.every((p) => ['elevated', 'calm'].includes(p.status) && p.inMs > 0 && p.inMs <= 60_000)).toBe(true);
    expect(pendings.at(-1)!.status).toBe('calm');
    expect(pendings.map((p) => p.inMs)).toEqual([...pendings.map((p) => p.inMs)].sort((a, b) => b - a)); // counting down
    await eventually(async () => {
      const view = (await state(base)).scopes.find((s) => s.scope === 'rma-bay')!;
      return view.vix?.status === 'calm' && view.panic?.active === false && view.maxTier === 0;
    }, 5000, 'calm published');
    const moves = (await state(base)).vix!.recent.filter((t) => t.scope === 'rma-bay').map((t) => `${t.from}→${t.to}`);
    expect(moves).toEqual(['calm→panic', 'panic→calm']); // one transition each way
    const after2 = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, scope: 'rma-bay', match: { league: 'Premier League' } }));
    expect(after2.json()).toMatchObject({ tier: 0, ttl: 60, mode: 'NORMAL' });
  });
});

describe('POST /v1/ticks when the engine runs in a cluster primary that does not answer', () => {
  it('is a 503 with a clear JSON error after the timeout, never a 500', async () => {
    const worker = await startWorkerService({ timeoutMs: 200 }); // a real channel; nobody answers on its primary end
    try {
      const response = await postJson(`${worker.origin}/v1/ticks`, JSON.stringify({ ticks: [{ market: 'm', price: 2, ts: Date.now() }] }));
      expect(response.status).toBe(503);
      expect(response.json()).toEqual({ error: 'vix_unavailable', field: null, message: 'the cluster primary did not answer within 200 ms; the ticks may not have been ingested' });
      expect((await state(worker.origin)).vix).toBeNull(); // no sample from the primary yet
    } finally {
      await worker.close();
    }
  });
});
