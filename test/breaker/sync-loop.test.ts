import { describe, expect, it } from 'vitest';
import { InvalidConfigError, MemoryPanicClock, VixCircuitBreaker, type ObservationKind, type ObservationRequest, type PanicClock } from '../../src/index.js';
import { thrown } from '../support/thrown.js';

const MIN = 60_000;
const INTERVAL = 100;

/** Calls of a real MemoryPanicClock, as the breaker makes them: each observeMany is one round trip. */
interface Batch {
  atMs: number;
  requests: Array<{ scope: string; kind: ObservationKind }>;
}

/**
 * A real MemoryPanicClock on a hand-moved time source, shared by any number of breakers (workers of
 * one process here), recording every batch it is asked.
 */
function world(clockOptions: { deadManSwitchSeconds?: number } = {}) {
  let now = Date.UTC(2026, 5, 14, 20, 0, 0);
  const clock = new MemoryPanicClock({ now: () => now, ...clockOptions });
  const batches: Batch[] = [];
  const counted: PanicClock = Object.assign(Object.create(clock) as PanicClock, {
    observe: () => {
      throw new Error('the breaker sends batches');
    },
    observeMany: (requests: readonly ObservationRequest[]) => {
      batches.push({ atMs: now, requests: requests.map(({ scope, kind }) => ({ scope: scope ?? 'global', kind })) });
      return clock.observeMany(requests);
    },
  });
  const breaker = (options: { syncIntervalMs?: number; scopeIdleMs?: number; maxPanicScopes?: number } = {}) =>
    new VixCircuitBreaker({ clock: counted, syncIntervalMs: INTERVAL, maxPanicScopes: 100_000, now: () => now, ...options });
  return {
    clock,
    batches,
    breaker,
    now: () => now,
    advance: (ms: number) => (now += ms),
    /** Batches asked since `from` (an index into batches). */
    since: (from: number) => batches.slice(from),
  };
}

const panic = (scope: string) => ({ baseTtl: 60, vixStatus: 'panic' as const, match: { league: 'Premier League' }, scope });
const calm = (scope: string) => ({ baseTtl: 60, vixStatus: 'calm' as const, match: { league: 'Premier League' }, scope });
const read = (scope: string) => ({ baseTtl: 60, match: { league: 'Premier League' }, scope });

describe('the sync loop: round trips do not grow with the number of scopes', () => {
  for (const scopes of [1, 5000]) {
    it(`${scopes.toLocaleString('en-US')} scope(s) in panic, asked for 2 s: one batch per 0.8 × syncIntervalMs, every decision from a synced answer`, async () => {
      const w = world();
      const breaker = w.breaker();
      const names = Array.from({ length: scopes }, (_, i) => `match:${i}`);
      let next = 0;
      // 50 decisions every 10 ms: each of the 5,000 scopes is asked once a second.
      const step = async () => {
        const decisions = await Promise.all(Array.from({ length: 50 }, () => breaker.getTtl(panic(names[next++ % scopes]!))));
        w.advance(10);
        return decisions;
      };
      for (let t = 0; t < 1000; t += 10) await step(); // every scope seen once (its first observation is its own)
      const from = w.batches.length;
      const decisions = [];
      for (let t = 0; t < 2000; t += 10) decisions.push(...(await step()));
      const batches = w.since(from);
      expect(batches.length).toBeLessThanOrEqual(Math.ceil(2000 / (0.8 * INTERVAL)) + 1);
      expect(batches.length).toBeGreaterThanOrEqual(Math.floor(2000 / INTERVAL));
      // Each batch refreshes every scope asked recently, once.
      for (const batch of batches) expect(new Set(batch.requests.map((r) => r.scope)).size).toBe(batch.requests.length);
      expect(batches.at(-1)!.requests).toHaveLength(scopes);
      expect(decisions.every((d) => d.tier === 1 && !d.failSafe)).toBe(true);
    });
  }

  it('all 10,000 scopes changing state at once (panic → calm, then calm → panic) cost one batch each way', async () => {
    const w = world();
    const breaker = w.breaker();
    const names = Array.from({ length: 10_000 }, (_, i) => `m-${i}`);
    await Promise.all(names.map((scope) => breaker.getTtl(panic(scope))));
    w.advance(10);
    let from = w.batches.length;
    const calmed = await Promise.all(names.map((scope) => breaker.getTtl(calm(scope))));
    expect(calmed.every((d) => d.tier === 0 && d.ttl === 60)).toBe(true);
    expect(w.since(from)).toHaveLength(1);
    expect(w.since(from)[0]!.requests.filter((r) => r.kind === 'calm')).toHaveLength(10_000);
    expect((await w.clock.inspect('m-42')).active).toBe(false);
    w.advance(10);
    from = w.batches.length;
    const panicked = await Promise.all(names.map((scope) => breaker.getTtl(panic(scope))));
    expect(panicked.every((d) => d.tier === 1 && !d.failSafe)).toBe(true);
    expect(w.since(from)).toHaveLength(1);
  });
});

describe('the sync loop keeps each worker within one sync interval of the shared clock', () => {
  it('publisher mode, two workers, 1,000 scopes: after the publisher ends one panic, no decision of either worker shows it syncIntervalMs later', async () => {
    const w = world();
    const workers = [w.breaker(), w.breaker()];
    const names = Array.from({ length: 1000 }, (_, i) => `m-${i}`);
    for (const scope of names) await w.clock.startPanic(scope, { ageMs: 45 * MIN });
    let next = 0;
    const step = async () => {
      const asked = Array.from({ length: 40 }, () => names[next++ % names.length]!);
      const decisions = await Promise.all(workers.flatMap((worker) => [...asked, 'm-7'].map(async (scope) => ({ scope, decision: await worker.getTtl(read(scope)) }))));
      w.advance(5);
      return decisions;
    };
    for (let t = 0; t < 500; t += 5) await step();
    await w.clock.reset('m-7'); // the publisher saw calm
    const endedAt = w.now();
    while (w.now() < endedAt + 400) {
      const decisions = await step();
      const sevens = decisions.filter((d) => d.scope === 'm-7').map((d) => d.decision);
      if (w.now() - 5 >= endedAt + INTERVAL) expect(sevens.every((d) => d.tier === 0)).toBe(true);
      expect(decisions.filter((d) => d.scope !== 'm-7').every((d) => d.decision.tier === 2)).toBe(true);
    }
  });

  it('a panic decision where the breaker knows calm writes at once (first writer wins); a calm one where it knows a panic ends it at once', async () => {
    const w = world();
    const a = w.breaker();
    const b = w.breaker();
    await a.getTtl(calm('derby'));
    await b.getTtl(calm('derby'));
    w.advance(10); // both hold a fresh answer: no panic
    const from = w.batches.length;
    const [first, second] = await Promise.all([a.getTtl(panic('derby')), b.getTtl(panic('derby'))]);
    expect(first).toMatchObject({ tier: 1, failSafe: false });
    expect(second).toMatchObject({ tier: 1, failSafe: false });
    expect(w.since(from).flatMap((batch) => batch.requests)).toEqual([
      { scope: 'derby', kind: 'panic' },
      { scope: 'derby', kind: 'panic' },
    ]);
    const start = (await w.clock.inspect('derby')).startedAtMs;
    w.advance(10);
    expect((await a.getTtl(calm('derby'))).tier).toBe(0);
    expect((await w.clock.inspect('derby')).active).toBe(false);
    expect(start).not.toBeNull();
  });
});

describe('what the sync loop refreshes, and how', () => {
  it('a scope asked within scopeIdleMs is refreshed with the others; idle longer, it leaves, and its next decision waits for one read of it', async () => {
    const w = world();
    const breaker = w.breaker({ scopeIdleMs: 1000 });
    await breaker.getTtl(panic('quiet'));
    const from = w.batches.length;
    for (let t = 0; t < 2000; t += 10) {
      await breaker.getTtl(panic('busy'));
      w.advance(10);
    }
    const quietIn = w.since(from).filter((batch) => batch.requests.some((r) => r.scope === 'quiet'));
    expect(quietIn.length).toBeGreaterThan(5);
    expect(quietIn.at(-1)!.atMs - w.batches[from - 1]!.atMs).toBeLessThanOrEqual(1000);
    const before = w.batches.length;
    expect(await breaker.getTtl(panic('quiet'))).toMatchObject({ tier: 1, failSafe: false });
    expect(w.since(before).flatMap((batch) => batch.requests).filter((r) => r.scope === 'quiet')).toEqual([{ scope: 'quiet', kind: 'read' }]);
  });

  it('a scope in panic pushes the dead man’s switch back at most once a minute (reads in between); one nobody confirms still ends', async () => {
    const w = world({ deadManSwitchSeconds: 86_400 });
    const breaker = w.breaker();
    for (let t = 0; t < 3 * MIN; t += 50) {
      await breaker.getTtl(panic('long'));
      w.advance(50);
    }
    const kinds = w.batches.flatMap((batch) => batch.requests).filter((r) => r.scope === 'long').map((r) => r.kind);
    expect(kinds.filter((k) => k === 'panic').length).toBeGreaterThanOrEqual(3); // the first one, then about one a minute
    expect(kinds.filter((k) => k === 'panic').length).toBeLessThanOrEqual(5);
    expect(kinds.filter((k) => k === 'read').length).toBeGreaterThan(1000);

    const short = world({ deadManSwitchSeconds: 60 }); // pushed back every 6 s
    const worker = short.breaker();
    for (let t = 0; t < 30_000; t += 50) {
      await worker.getTtl(panic('fading'));
      short.advance(50);
    }
    short.advance(45_000); // nobody asks any more: 75 s after the start, at least 45 s after the last push
    expect((await short.clock.inspect('fading')).active).toBe(true);
    short.advance(16_000); // more than 60 s after the last push
    expect((await short.clock.inspect('fading')).active).toBe(false);
  });

  it('a held panic scope whose refresh finds no start any more gives its maxPanicScopes place back', async () => {
    const w = world();
    const breaker = w.breaker({ maxPanicScopes: 2 });
    await breaker.getTtl(panic('a'));
    await breaker.getTtl(panic('b'));
    expect((await breaker.getTtl(panic('c'))).reason).toBe('scope_limit');
    await w.clock.reset('a'); // another worker saw calm
    w.advance(INTERVAL);
    await breaker.getTtl(panic('b')); // starts a refresh round that reads a
    expect(breaker.panicScopes.held).toBe(1);
    expect(await breaker.getTtl(panic('c'))).toMatchObject({ tier: 1, failSafe: false });
  });

  it('peekTtl counts as asking: a scope served only by peeks stays synced, its refreshes started by the peeks', async () => {
    const w = world();
    const breaker = w.breaker();
    await breaker.getTtl(panic('hot'));
    const from = w.batches.length;
    for (let t = 0; t < 2000; t += 10) {
      w.advance(10);
      expect(breaker.peekTtl(panic('hot'))).toMatchObject({ tier: 1, failSafe: false });
      await new Promise((resolve) => setImmediate(resolve)); // the refresh a peek started is answered
    }
    const reads = w.since(from).flatMap((batch) => batch.requests);
    expect(reads.length).toBeGreaterThanOrEqual(2000 / INTERVAL);
    expect(reads.every((r) => r.scope === 'hot')).toBe(true);
  });

  it('scopeIdleMs is validated, naming the field', () => {
    for (const scopeIdleMs of [0, -1, Number.NaN, '100', 3_600_001]) {
      const error = thrown(() => new VixCircuitBreaker({ clock: null, scopeIdleMs } as never));
      expect(error, `accepted ${String(scopeIdleMs)}`).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).field).toBe('VixCircuitBreaker.scopeIdleMs');
    }
  });
});

describe('a scope dropped past maxScopes', () => {
  it('gives its synced numbers nothing of the scope that took its place: an answer for the dropped scope, arriving once a new scope holds its slot, does not make the new one look synced', async () => {
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const inner = new MemoryPanicClock({ now: () => now });
    await inner.startPanic('c', { ageMs: 60 * MIN }); // c is in panic; a and b are not
    const gates = new Map<string, () => void>();
    const held = (scope: string) => new Promise<void>((resolve) => gates.set(scope, resolve));
    const gateA = held('a');
    const gateC = held('c');
    const clock: PanicClock = Object.assign(Object.create(inner) as PanicClock, {
      observeMany: async (requests: readonly ObservationRequest[]) => {
        if (requests.some((r) => r.scope === 'a')) await gateA;
        if (requests.some((r) => r.scope === 'c')) await gateC;
        return inner.observeMany(requests);
      },
    });
    const breaker = new VixCircuitBreaker({ clock, maxScopes: 1, syncIntervalMs: 60_000, timeoutMs: 10_000, now: () => now });
    const sent = () => new Promise((resolve) => setImmediate(resolve));
    const decisionA = breaker.getTtl(read('a')); // its batch is sent, and held
    await sent();
    const decisionB = breaker.getTtl(read('b')); // a is dropped (one scope kept)
    const decisionC = breaker.getTtl(read('c')); // b is dropped; c is new: both wait for the next batch
    gates.get('a')!();
    expect((await decisionA).mode).toBe('NORMAL');
    now += 1;
    // a's answer has been applied; c's is still on its way: c has no synced answer to decide from.
    expect(breaker.peekTtl(read('c'))).toBeNull();
    expect(breaker.isSynced('c')).toBe(false);
    gates.get('c')!();
    const [b, c] = await Promise.all([decisionB, decisionC]);
    expect(b.mode).toBe('NORMAL');
    expect(c.mode).not.toBe('NORMAL');
    expect(c.panicDurationMin).toBeGreaterThanOrEqual(60);
    expect(breaker.peekTtl(read('c'))).toMatchObject({ mode: c.mode, tier: c.tier });
    await breaker.close();
  });
});
