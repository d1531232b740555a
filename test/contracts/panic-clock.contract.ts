import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, VixCircuitBreaker, type CorruptionReason, type ObservationRequest, type PanicClock, type PanicObservation } from '../../src/index.js';

/** Options every PanicClock takes. */
export interface ClockOptions {
  deadManSwitchSeconds?: number;
  calmGraceSeconds?: number;
}

/** A value a store may hold that is not a plausible start, and the reason a clock must report for it. */
export const CORRUPT_VALUES: ReadonlyArray<{ name: string; reason: CorruptionReason }> = [
  { name: 'garbage', reason: 'unparsable' },
  { name: 'empty', reason: 'unparsable' },
  { name: 'nan', reason: 'unparsable' },
  { name: 'negative', reason: 'implausible' },
  { name: 'zero', reason: 'implausible' },
  { name: 'infinite', reason: 'unparsable' },
  { name: 'hex float', reason: 'unparsable' },
  { name: 'far future', reason: 'future' },
  { name: 'a hash', reason: 'wrong_type' },
  { name: 'a list', reason: 'wrong_type' },
];

/** What the contract needs of an implementation: fresh clocks on one store, and a way to move its time. */
export interface PanicClockHarness {
  /** A clock on the harness's store (the same store for every clock until `reset`). */
  clock(options?: ClockOptions): PanicClock;
  /** Moves the store's time forward by `ms`. */
  advance(ms: number): Promise<void>;
  /** Empties the store; called before each test. */
  reset(): Promise<void>;
  /** Writes a corrupt value (one of {@link CORRUPT_VALUES}) for a scope; absent when the store holds no raw values. */
  corrupt?(scope: string | undefined, name: string): Promise<void>;
}

const MIN = 60_000;
/** Real time a store whose clock cannot be moved (Redis) may add to a measured duration on a loaded machine. */
const SLACK_MS = 30_000;
const durationOf = (obs: { startedAtMs: number | null; clockNowMs: number }) => obs.clockNowMs - obs.startedAtMs!;

/** A clock's batch answers, each checked to be an observation (not a store failure). */
async function observeAll(clock: PanicClock, requests: ObservationRequest[]): Promise<PanicObservation[]> {
  expect(typeof clock.observeMany).toBe('function');
  const results = await clock.observeMany!(requests);
  expect(results).toHaveLength(requests.length);
  return results.map((result) => {
    if (!result.ok) throw result.error;
    return result.observation;
  });
}

/**
 * The behaviour every {@link PanicClock} shares: first writer wins, calm and the calm
 * grace, the dead man's switch, drills, inspection, validation and (where the store
 * holds raw values) corrupt values. An implementation's test file gets it all by one
 * line: `panicClockContract('MyClock', harness)`.
 */
export function panicClockContract(name: string, harness: PanicClockHarness): void {
  const h = harness;
  describe(`${name} keeps the PanicClock contract`, () => {
    beforeEach(async () => {
      await h.reset();
    });

    describe('first writer wins', () => {
      it('the first panic observation sets the start; later ones keep it while time passes', async () => {
        const clock = h.clock();
        const first = await clock.observe(undefined, 'panic');
        expect(first).toMatchObject({ active: true, created: true, repaired: null });
        expect(durationOf(first)).toBeGreaterThanOrEqual(0);
        expect(durationOf(first)).toBeLessThan(SLACK_MS);
        await h.advance(5 * MIN);
        const later = await clock.observe(undefined, 'panic');
        expect(later).toMatchObject({ active: true, created: false });
        expect(durationOf(later)).toBeGreaterThanOrEqual(5 * MIN);
        expect(durationOf(later)).toBeLessThan(5 * MIN + SLACK_MS);
      });

      it('concurrent first observations leave exactly one start, which every observer reads', async () => {
        const clock = h.clock();
        const observations = await Promise.all(Array.from({ length: 20 }, () => clock.observe('derby', 'panic')));
        expect(observations.filter((o) => o.created)).toHaveLength(1);
        expect(new Set(observations.map((o) => o.startedAtMs)).size).toBe(1);
      });

      it('a named scope is apart from the global one and from other scopes', async () => {
        const clock = h.clock();
        await clock.observe('ligue-1', 'panic');
        expect(await clock.observe(undefined, 'read')).toMatchObject({ active: false, startedAtMs: null });
        expect(await clock.observe('ligue-2', 'read')).toMatchObject({ active: false, startedAtMs: null });
        expect((await clock.observe('ligue-1', 'read')).active).toBe(true);
      });

      it('a read never starts a panic', async () => {
        const clock = h.clock();
        expect(await clock.observe(undefined, 'read')).toMatchObject({ active: false, startedAtMs: null, created: false });
        expect((await clock.inspect()).active).toBe(false);
      });
    });

    describe('panic end', () => {
      it('calm ends the panic; a read sees nothing afterwards', async () => {
        const clock = h.clock();
        await clock.observe('ucl', 'panic');
        expect((await clock.observe('ucl', 'calm')).active).toBe(false);
        expect(await clock.observe('ucl', 'read')).toMatchObject({ active: false, startedAtMs: null });
      });

      it('calm without a panic changes nothing', async () => {
        const clock = h.clock();
        expect(await clock.observe(undefined, 'calm')).toMatchObject({ active: false, startedAtMs: null, created: false });
        expect((await clock.inspect()).startedAtMs).toBeNull();
      });

      it('after calm, the next panic starts again (tier 1), not where the last one was', async () => {
        const clock = h.clock();
        await clock.observe(undefined, 'panic');
        await h.advance(60 * MIN);
        await clock.observe(undefined, 'calm');
        const again = await clock.observe(undefined, 'panic');
        expect(again.created).toBe(true);
        expect(durationOf(again)).toBeLessThan(SLACK_MS);
      });

      it('with calmGraceSeconds, a panic that flickers off and on within the grace continues with its first start', async () => {
        const clock = h.clock({ calmGraceSeconds: 30 });
        await clock.observe(undefined, 'panic');
        await h.advance(1000);
        expect((await clock.observe(undefined, 'calm')).active).toBe(false);
        expect((await clock.inspect()).inGrace).toBe(true);
        expect((await clock.observe(undefined, 'read')).active).toBe(false);
        await h.advance(10_000);
        const back = await clock.observe(undefined, 'panic');
        expect(back).toMatchObject({ active: true, created: false });
        expect(durationOf(back)).toBeGreaterThanOrEqual(11_000);
        expect((await clock.inspect()).inGrace).toBe(false);
        await clock.observe(undefined, 'calm');
        await h.advance(30_001);
        expect((await clock.observe(undefined, 'panic')).created).toBe(true);
      });

      it('a grace as long as the dead man’s switch is refused', () => {
        expect(() => h.clock({ calmGraceSeconds: 600, deadManSwitchSeconds: 600 })).toThrow(/calmGraceSeconds/);
      });
    });

    describe('dead man’s switch', () => {
      it('ends a panic nobody confirms, and each panic observation pushes it back', async () => {
        const clock = h.clock({ deadManSwitchSeconds: 60 });
        await clock.observe(undefined, 'panic');
        await h.advance(50_000);
        await clock.observe(undefined, 'panic');
        await h.advance(50_000);
        expect((await clock.observe(undefined, 'read')).active).toBe(true);
        await h.advance(10_001);
        expect((await clock.observe(undefined, 'read')).active).toBe(false);
      });

      it('a read does not push it back', async () => {
        const clock = h.clock({ deadManSwitchSeconds: 60 });
        await clock.observe(undefined, 'panic');
        await h.advance(50_000);
        expect((await clock.observe(undefined, 'read')).active).toBe(true);
        await h.advance(10_001);
        expect((await clock.observe(undefined, 'read')).active).toBe(false);
      });

      it('inspect shows the time left', async () => {
        const clock = h.clock({ deadManSwitchSeconds: 600 });
        await clock.observe(undefined, 'panic');
        await h.advance(100_000);
        const view = await clock.inspect();
        expect(view.expiresInMs).toBeGreaterThan(500_000 - SLACK_MS);
        expect(view.expiresInMs).toBeLessThanOrEqual(500_000);
      });
    });

    describe('drills and inspection', () => {
      it('startPanic backdates a drill; inspect reports it; reset ends it and says whether there was one', async () => {
        const clock = h.clock();
        const drill = await clock.startPanic('m:1', { ageMs: 200 * MIN });
        expect(drill).toMatchObject({ active: true, created: true });
        const view = await clock.inspect('m:1');
        expect(view).toMatchObject({ scope: 'm:1', active: true, inGrace: false, corrupt: null });
        expect(view.durationMs).toBeGreaterThanOrEqual(200 * MIN);
        expect(view.durationMs).toBeLessThan(200 * MIN + SLACK_MS);
        expect(view.startedAtMs).toBeCloseTo(drill.startedAtMs!, 0);
        expect(await clock.reset('m:1')).toBe(true);
        expect(await clock.reset('m:1')).toBe(false);
        expect((await clock.inspect('m:1')).active).toBe(false);
      });

      it('startPanic overwrites a running panic', async () => {
        const clock = h.clock();
        await clock.observe(undefined, 'panic');
        await clock.startPanic(undefined, { ageMs: 100 * MIN });
        expect(durationOf(await clock.observe(undefined, 'panic'))).toBeGreaterThanOrEqual(100 * MIN);
      });

      it('inspect of a scope without panic', async () => {
        expect(await h.clock().inspect('ucl')).toMatchObject({ scope: 'ucl', active: false, startedAtMs: null, durationMs: null, expiresInMs: null, raw: null, corrupt: null });
      });

      it('inspect with its write check (readiness) and ping change nothing: no start is created, a running one keeps its start and expiry', async () => {
        const clock = h.clock();
        expect(await clock.inspect('ucl', { writable: true })).toMatchObject({ scope: 'ucl', active: false, startedAtMs: null, raw: null });
        await clock.ping();
        expect((await clock.inspect('ucl')).raw).toBeNull();
        const drill = await clock.startPanic('epl', { ageMs: 10 * MIN });
        const before = await clock.inspect('epl');
        const checked = await clock.inspect('epl', { writable: true });
        expect(checked).toMatchObject({ active: true, raw: before.raw });
        expect(checked.startedAtMs).toBeCloseTo(drill.startedAtMs!, 0);
        expect(checked.expiresInMs).toBeLessThanOrEqual(before.expiresInMs!);
      });
    });

    describe('validation at the edge', () => {
      it('scope names are validated, naming the scope', async () => {
        const clock = h.clock();
        for (const bad of ['has space', 'x'.repeat(65), 'émoji', 'a/b', 42]) {
          await expect(clock.observe(bad as string, 'panic')).rejects.toThrow(InvalidInputError);
          await expect(clock.startPanic(bad as string)).rejects.toThrow(InvalidInputError);
        }
        expect((await clock.inspect()).active).toBe(false);
      });

      it('an observation kind other than panic, calm or read is refused, naming kind, and changes nothing', async () => {
        const clock = h.clock();
        await clock.observe('derby', 'panic');
        for (const bad of ['PANIC', 'calm ', 'start', '', null, 2]) {
          await expect(clock.observe('derby', bad as 'calm')).rejects.toThrow(InvalidInputError);
          await expect(clock.observe('derby', bad as 'calm')).rejects.toThrow(/^kind must be panic, calm or read, got/);
        }
        expect((await clock.observe('derby', 'read')).active).toBe(true);
      });

      it('a drill age that is negative or not a number is refused, naming ageMs', async () => {
        const clock = h.clock();
        for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
          await expect(clock.startPanic(undefined, { ageMs: bad as number })).rejects.toThrow(/ageMs/);
        }
      });
    });

    describe('observeMany: many observations in one call, each as observe would answer it', () => {
      it('answers in the order asked: a panic starts, a read sees it, other scopes are apart, calm without panic changes nothing', async () => {
        const clock = h.clock();
        const [started, seen, other, global] = await observeAll(clock, [
          { scope: 'a', kind: 'panic' },
          { scope: 'a', kind: 'read' },
          { scope: 'b', kind: 'read' },
          { kind: 'calm' },
        ]);
        expect(started).toMatchObject({ active: true, created: true, repaired: null });
        expect(seen).toMatchObject({ active: true, created: false, startedAtMs: started!.startedAtMs });
        expect(other).toMatchObject({ active: false, startedAtMs: null, created: false });
        expect(global).toMatchObject({ active: false, startedAtMs: null });
        expect(await clock.observe('a', 'read')).toMatchObject({ active: true, startedAtMs: started!.startedAtMs });
        expect(await observeAll(clock, [])).toEqual([]);
      });

      it('the same scope twice in one call is observed in the order given', async () => {
        const clock = h.clock();
        const [panic, calm] = await observeAll(clock, [{ scope: 'x', kind: 'panic' }, { scope: 'x', kind: 'calm' }]);
        expect(panic).toMatchObject({ active: true, created: true });
        expect(calm!.active).toBe(false);
        expect((await clock.inspect('x')).active).toBe(false);
        const [calmFirst, panicAfter] = await observeAll(clock, [{ scope: 'x', kind: 'calm' }, { scope: 'x', kind: 'panic' }]);
        expect(calmFirst!.active).toBe(false);
        expect(panicAfter).toMatchObject({ active: true, created: true });
      });

      it('call after call, the start stays and the duration grows; a panic pushes the dead man’s switch back, a read does not', async () => {
        const clock = h.clock({ deadManSwitchSeconds: 60 });
        const [first] = await observeAll(clock, [{ scope: 'm', kind: 'panic' }]);
        await h.advance(50_000);
        const [again] = await observeAll(clock, [{ scope: 'm', kind: 'panic' }]);
        expect(again).toMatchObject({ active: true, created: false });
        expect(durationOf(again!)).toBeGreaterThanOrEqual(50_000);
        expect(durationOf(again!)).toBeLessThan(50_000 + SLACK_MS);
        await h.advance(50_000);
        const [read] = await observeAll(clock, [{ scope: 'm', kind: 'read' }]);
        expect(read!.active).toBe(true);
        expect(durationOf(read!)).toBeGreaterThanOrEqual(100_000);
        expect(first!.created).toBe(true);
        await h.advance(10_001);
        expect((await observeAll(clock, [{ scope: 'm', kind: 'read' }]))[0]!.active).toBe(false);
      });

      it('first writer wins: concurrent calls leave exactly one start, which every call reads', async () => {
        const clock = h.clock();
        const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => observeAll(clock, [{ scope: `other-${i}`, kind: 'read' }, { scope: 'derby', kind: 'panic' }])));
        const derby = answers.map((answer) => answer[1]!);
        expect(derby.filter((o) => o.created)).toHaveLength(1);
        expect(new Set(derby.map((o) => o.startedAtMs)).size).toBe(1);
      });

      it('what observe changed between two calls is seen: a calm ends the panic, a new panic has a new start', async () => {
        const clock = h.clock();
        const [first] = await observeAll(clock, [{ scope: 's', kind: 'panic' }]);
        await clock.observe('s', 'calm');
        expect((await observeAll(clock, [{ scope: 's', kind: 'read' }]))[0]).toMatchObject({ active: false, startedAtMs: null });
        await h.advance(5 * MIN);
        const restarted = await clock.observe('s', 'panic');
        const [seen] = await observeAll(clock, [{ scope: 's', kind: 'read' }]);
        expect(seen).toMatchObject({ active: true, startedAtMs: restarted.startedAtMs });
        expect(first!.created).toBe(true);
        expect(durationOf(seen!)).toBeLessThan(SLACK_MS); // the new panic, not the first one 5 minutes on
      });

      it('with calmGraceSeconds, a calm in one call and a panic in a later one continue the first start', async () => {
        const clock = h.clock({ calmGraceSeconds: 30 });
        await observeAll(clock, [{ kind: 'panic' }]);
        await h.advance(1000);
        expect((await observeAll(clock, [{ kind: 'calm' }]))[0]!.active).toBe(false);
        expect((await observeAll(clock, [{ kind: 'read' }]))[0]!.active).toBe(false);
        await h.advance(10_000);
        const [back] = await observeAll(clock, [{ kind: 'panic' }]);
        expect(back).toMatchObject({ active: true, created: false });
        expect(durationOf(back!)).toBeGreaterThanOrEqual(11_000);
      });

      it('one bad request refuses the whole call, naming it, and nothing is recorded', async () => {
        const clock = h.clock();
        const cases: Array<[unknown, RegExp]> = [
          [[{ scope: 'fine', kind: 'panic' }, { scope: 'has space', kind: 'panic' }], /^requests\[1\]\.scope must be 1–64 characters/],
          [[{ scope: 'fine', kind: 'PANIC' }], /^requests\[0\]\.kind must be panic, calm or read, got "PANIC"/],
          [[{ scope: 'fine', kind: 'panic' }, null], /^requests\[1\] must be an object/],
          ['fine', /^requests must be an array/],
        ];
        for (const [requests, message] of cases) {
          const error = await clock.observeMany!(requests as ObservationRequest[]).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidInputError);
          expect((error as Error).message).toMatch(message);
        }
        expect((await clock.inspect('fine')).active).toBe(false);
      });
    });

    // Only where the store holds raw values (a memory clock holds numbers it wrote itself).
    const corrupt = h.corrupt?.bind(h);
    if (corrupt) describe('corrupt values are repaired, never thrown', () => {
      for (const { name: value, reason } of CORRUPT_VALUES) {
        it(`${value}: a panic observation reports it (${reason}), replaces it with now, and the breaker's decision is TTL 0, fail-safe`, async () => {
          const clock = h.clock();
          await corrupt(undefined, value);
          const repairs: string[] = [];
          const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 5000, hooks: { onRepair: (e) => repairs.push(e.corrupt.reason) } });
          const decision = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } });
          expect(decision).toMatchObject({ ttl: 0, tier: 1, mode: 'PANIC_FULL', failSafe: true, reason: 'corrupt_value_repaired' });
          expect(repairs).toEqual([reason]);
          const view = await clock.inspect();
          expect(view).toMatchObject({ active: true, corrupt: null });
          expect(view.durationMs).toBeLessThan(SLACK_MS);
          expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } })).toMatchObject({ ttl: 0, tier: 1, failSafe: false });
        });
      }

      it('a corrupt value seen by a calm observation is removed and reported', async () => {
        const clock = h.clock();
        await corrupt(undefined, 'a hash');
        expect(await clock.observe(undefined, 'calm')).toMatchObject({ active: false, repaired: { reason: 'wrong_type', raw: 'hash' } });
        expect((await clock.inspect()).raw).toBeNull();
      });

      it('in one observeMany call, a corrupt value is repaired and reported for its own scope only', async () => {
        const clock = h.clock();
        await corrupt('broken', 'garbage');
        await corrupt('wrong', 'a hash');
        const [repaired, fine, again, calm] = await observeAll(clock, [
          { scope: 'broken', kind: 'panic' },
          { scope: 'fine', kind: 'panic' },
          { scope: 'broken', kind: 'read' },
          { scope: 'wrong', kind: 'calm' },
        ]);
        expect(repaired).toMatchObject({ active: true, created: true, repaired: { reason: 'unparsable', raw: 'garbage' } });
        expect(fine).toMatchObject({ active: true, created: true, repaired: null });
        expect(again).toMatchObject({ active: true, created: false, repaired: null, startedAtMs: repaired!.startedAtMs });
        expect(calm).toMatchObject({ active: false, repaired: { reason: 'wrong_type', raw: 'hash' } });
        expect((await clock.inspect('wrong')).raw).toBeNull();
      });

      it('inspect reports a corrupt value without repairing it', async () => {
        const clock = h.clock();
        await corrupt(undefined, 'garbage');
        expect(await clock.inspect()).toMatchObject({ active: false, corrupt: { reason: 'unparsable', raw: 'garbage' }, raw: 'garbage' });
        expect((await clock.inspect()).raw).toBe('garbage');
      });
    });
  });
}
