import { describe, expect, it } from 'vitest';
import { InvalidConfigError, MemoryPanicClock, RedisPanicClock, VixCircuitBreaker, type TtlDecision } from '../../src/index.js';
import { captureLogger } from '../support/capture-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { thrown } from '../support/thrown.js';

const MINUTE = 60_000;

function setup(maxPanicScopes: number, clockOptions: { deadManSwitchSeconds?: number } = {}, breakerOptions: { panicScopeIdleMs?: number } = {}) {
  let now = Date.parse('2026-05-01T20:00:00Z');
  const clock = new MemoryPanicClock({ now: () => now, ...clockOptions });
  const { logger, lines } = captureLogger('info');
  const decisions: Array<{ scope: string; decision: TtlDecision }> = [];
  const observed: string[] = [];
  const breaker = new VixCircuitBreaker({
    clock,
    now: () => now,
    syncIntervalMs: 0,
    maxPanicScopes,
    logger,
    hooks: { onDecision: (e) => decisions.push(e), onObservation: (e) => observed.push(e.scope) },
    ...breakerOptions,
  });
  const panic = (scope: string) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope });
  const calm = (scope: string) => breaker.getTtl({ baseTtl: 60, vixStatus: 'calm', scope });
  return { clock, breaker, lines, decisions, observed, panic, calm, advance: (ms: number) => (now += ms) };
}

describe('maxPanicScopes: clients cannot create panic starts without bound', () => {
  it('past the limit, a panic in a new scope is TTL 0, fail-safe, reason scope_limit, and nothing is stored for it', async () => {
    const { clock, breaker, panic } = setup(3);
    for (const scope of ['a', 'b', 'c']) expect(await panic(scope)).toMatchObject({ tier: 1, failSafe: false });
    const refused = await panic('d');
    expect(refused).toEqual({ ttl: 0, mode: 'PANIC_FULL', tier: 1, importance: 'medium_stakes', panicDurationMin: null, nextTierInMin: null, failSafe: true, reason: 'scope_limit' });
    expect((await clock.inspect('d')).active).toBe(false);
    expect(breaker.panicScopes).toEqual({ held: 3, max: 3 });
  });

  it('a scope already held keeps following its panic through the tiers at the limit', async () => {
    const { panic, advance } = setup(2);
    await panic('live');
    await panic('other');
    expect((await panic('new')).reason).toBe('scope_limit');
    advance(100 * MINUTE);
    expect(await panic('live')).toMatchObject({ tier: 3, ttl: 30, failSafe: false });
  });

  it('at the limit, a panic whose start already lives in the clock (another worker or host began it) is read and decides from it: tier 3, nothing written, no slot taken', async () => {
    const { clock, breaker, panic } = setup(2);
    await panic('a');
    await panic('b');
    await clock.startPanic('live', { ageMs: 100 * MINUTE });
    const before = await clock.inspect('live');
    expect(await panic('live')).toMatchObject({ tier: 3, ttl: 30, mode: 'DEGRADED', failSafe: false });
    const after = await clock.inspect('live');
    expect(after.startedAtMs).toBe(before.startedAtMs);
    expect(after.expiresInMs).toBe(before.expiresInMs); // only read: its dead man's switch is not refreshed by this process
    expect(breaker.panicScopes).toEqual({ held: 2, max: 2 });
  });

  it('at the limit, a panic with no start in the clock is scope_limit and still creates none; a flood of such names reaches no per-scope observation hook', async () => {
    const { clock, panic, observed } = setup(1);
    await panic('held');
    for (let i = 0; i < 50; i += 1) expect((await panic(`junk-${i}`)).reason).toBe('scope_limit');
    for (let i = 0; i < 50; i += 1) expect((await clock.inspect(`junk-${i}`)).active).toBe(false);
    expect(observed.filter((scope) => scope.startsWith('junk-'))).toEqual([]);
  });

  it('a slot held by a scope with no panic observation for panicScopeIdleMs is given back: a new real panic then takes it', async () => {
    const { clock, breaker, panic, advance } = setup(2, {}, { panicScopeIdleMs: 5 * MINUTE });
    await panic('junk-a');
    await panic('junk-b');
    advance(4 * MINUTE);
    await panic('junk-b'); // still observed
    advance(2 * MINUTE); // junk-a idle 6 min, junk-b 2 min
    expect(breaker.panicScopes).toEqual({ held: 1, max: 2 }); // the count read releases idle scopes too
    expect(await panic('real')).toMatchObject({ tier: 1, ttl: 0, failSafe: false });
    expect((await clock.inspect('real')).active).toBe(true);
    // junk-a observed again: no slot free, but its start still lives in the clock, so it is read, not refused.
    expect(await panic('junk-a')).toMatchObject({ tier: 1, failSafe: false });
    expect(breaker.panicScopes).toEqual({ held: 2, max: 2 });
    expect((await panic('other')).reason).toBe('scope_limit');
  });

  it('panicScopeIdleMs defaults to 10 minutes', async () => {
    const { panic, advance } = setup(1);
    await panic('first');
    advance(10 * MINUTE - 1000);
    expect((await panic('second')).reason).toBe('scope_limit');
    advance(1000);
    expect(await panic('second')).toMatchObject({ tier: 1, failSafe: false });
  });

  it('a scope seen calm leaves and frees its slot', async () => {
    const { breaker, panic, calm } = setup(2);
    await panic('a');
    await panic('b');
    expect((await panic('c')).reason).toBe('scope_limit');
    await calm('a');
    expect(breaker.panicScopes.held).toBe(1);
    expect(await panic('c')).toMatchObject({ tier: 1, failSafe: false });
  });

  it('a publisher-mode read does not take a slot, and a read that finds no panic frees one', async () => {
    const { clock, breaker, panic } = setup(2);
    await clock.startPanic('published');
    expect(await breaker.getTtl({ baseTtl: 60, scope: 'published' })).toMatchObject({ tier: 1, failSafe: false });
    expect(breaker.panicScopes.held).toBe(0);
    await panic('seed');
    await clock.reset('seed');
    await breaker.getTtl({ baseTtl: 60, scope: 'seed' });
    expect(breaker.panicScopes.held).toBe(0);
  });

  it('a scope with no panic observation for the dead man\'s switch leaves (its start has expired)', async () => {
    const { breaker, panic, advance } = setup(2, { deadManSwitchSeconds: 600 });
    await panic('a');
    await panic('b');
    advance(5 * MINUTE);
    await panic('b');
    advance(5 * MINUTE);
    expect(await panic('c')).toMatchObject({ failSafe: false }); // a expired, b (seen 5 min ago) stays
    expect((await panic('d')).reason).toBe('scope_limit');
    expect(breaker.panicScopes.held).toBe(2);
  });

  it('refusals are counted through the hooks, logged at most once a minute, and write no per-scope log line', async () => {
    const { panic, lines, decisions, advance } = setup(1);
    await panic('held');
    for (let i = 0; i < 1000; i += 1) await panic(`flood-${i}`);
    expect(decisions.filter((e) => e.decision.reason === 'scope_limit')).toHaveLength(1000);
    const limitLines = () => lines.filter((l) => l.msg === 'VIX_TTL_PANIC_SCOPE_LIMIT');
    expect(limitLines()).toHaveLength(1);
    expect(limitLines()[0]).toMatchObject({ level: 40, scope: 'flood-0', max_panic_scopes: 1, held: 1, refused_since_last_log: 1, reason: 'scope_limit' });
    expect(lines.filter((l) => typeof l.scope === 'string' && (l.scope as string).startsWith('flood-') && l.msg !== 'VIX_TTL_PANIC_SCOPE_LIMIT')).toEqual([]);
    advance(59_000);
    await panic('flood-late');
    expect(limitLines()).toHaveLength(1);
    advance(1000);
    await panic('flood-later');
    expect(limitLines()).toHaveLength(2);
    expect(limitLines()[1]).toMatchObject({ scope: 'flood-later', refused_since_last_log: 1001 }); // flood-1…999, flood-late and itself
  });

  it('panicScopeIdleMs is validated, naming the field', () => {
    for (const panicScopeIdleMs of [0, 999, -1, 1500.5, '600000', Number.NaN]) {
      const error = thrown(() => new VixCircuitBreaker({ clock: null, panicScopeIdleMs } as never));
      expect(error, `accepted ${String(panicScopeIdleMs)}`).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).field).toBe('VixCircuitBreaker.panicScopeIdleMs');
    }
  });

  it('maxPanicScopes is validated, naming the field', () => {
    for (const maxPanicScopes of [0, -5, 2.5, '1000', Number.POSITIVE_INFINITY]) {
      const error = thrown(() => new VixCircuitBreaker({ clock: null, maxPanicScopes } as never));
      expect(error, `accepted ${String(maxPanicScopes)}`).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).field).toBe('VixCircuitBreaker.maxPanicScopes');
    }
  });
});

describe('maxPanicScopes on a real redis-server', () => {
  it('a panic refused unsent (store_busy, Redis paused) does not keep a slot; one that timed out does, until its late answer says no start was written', async () => {
    const server = await RedisServer.start();
    try {
      const clock = new RedisPanicClock(server.client(), { timeoutMs: 50, maxInFlight: 1 });
      const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 50, maxPanicScopes: 25 });
      // Warm up until the clock has loaded the script and learned Redis's time, however loaded the machine.
      for (let i = 0; ; i += 1) {
        const ok = await clock.observe('warm', 'calm').then(() => true, () => false);
        if (ok) break;
        if (i >= 100) throw new Error('redis-server never answered within 50 ms');
        await new Promise((r) => setTimeout(r, 50));
      }
      while (clock.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
      server.pause();
      // The 20 new panics share one batch: one command is sent and times out; each keeps its slot.
      const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `s-${i}` })));
      expect(sent.map((d) => d.reason)).toEqual(Array.from({ length: 20 }, () => 'store_timeout'));
      expect(clock.inFlight).toBe(1);
      expect(breaker.panicScopes.held).toBe(20);
      // 10 more: 5 take the last slots, 5 past the limit only read; their batch is never sent (maxInFlight 1
      // is taken), so the 5 give their slots back, and the reads fail with the store's reason, not the limit's.
      const refused = await Promise.all(Array.from({ length: 10 }, (_, i) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `t-${i}` })));
      expect(refused.map((d) => d.reason)).toEqual(Array.from({ length: 10 }, () => 'store_busy'));
      expect(breaker.panicScopes.held).toBe(20);
      await new Promise((r) => setTimeout(r, 1500)); // the sent panics are stale when Redis runs them: they only read
      server.resume();
      while (clock.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setImmediate(r));
      expect(breaker.panicScopes.held).toBe(0); // no decision needed: the late answers freed them
      expect(await server.client().keys('brain:panic_start_ts:[st]-*')).toEqual([]);
      await breaker.close();
    } finally {
      await server.stop();
    }
  });
});
