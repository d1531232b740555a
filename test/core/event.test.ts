import { describe, expect, it } from 'vitest';
import { EventEmitter, subscribeHooks, type Event } from '../../src/core/event.js';
import { AdaptiveCache, InvalidConfigError, InvalidInputError, MemoryCacheStore, MemoryPanicClock, VixCircuitBreaker, VixEngine, VixPublisher, type TtlDecision } from '../../src/index.js';
import { ScopeTracker } from '../../src/server/state/scope-tracker.js';
import { StoreHealth } from '../../src/server/state/store-health.js';
import { LocalVix } from '../../src/server/vix/local-vix.js';

/** Resolves after the pending promise jobs and one macrotask (an unhandled rejection is reported by then). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('EventEmitter: the one event primitive', () => {
  it('calls every listener in subscription order with the value', () => {
    const emitter = new EventEmitter<number>();
    const seen: string[] = [];
    emitter.event((n) => seen.push(`a${n}`));
    emitter.event((n) => seen.push(`b${n}`));
    emitter.emit(1);
    emitter.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(emitter.size).toBe(2);
  });

  it('a listener that throws breaks neither the emitter nor the listeners after it', () => {
    const emitter = new EventEmitter<string>();
    const seen: string[] = [];
    emitter.event(() => {
      throw new Error('broken metrics');
    });
    emitter.event((value) => seen.push(value));
    expect(() => emitter.emit('x')).not.toThrow();
    expect(seen).toEqual(['x']);
  });

  it('an async listener that rejects is not an unhandled rejection (which would end a Node process)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const emitter = new EventEmitter<number>();
      const seen: number[] = [];
      emitter.event(async () => {
        throw new Error('async listener failed');
      });
      emitter.event((n) => seen.push(n));
      emitter.emit(7);
      await settle();
      expect(seen).toEqual([7]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('dispose stops one subscription; a second dispose does nothing, even to another subscription of the same function', () => {
    const emitter = new EventEmitter<number>();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    const first = emitter.event(listener);
    emitter.event(listener);
    emitter.emit(1);
    first.dispose();
    first.dispose();
    emitter.emit(2);
    expect(seen).toEqual([1, 1, 2]);
    expect(emitter.size).toBe(1);
  });

  it('a listener disposed by an earlier one during an emission is not called by it; one added during an emission waits for the next', () => {
    const emitter = new EventEmitter<number>();
    const seen: string[] = [];
    let second = { dispose: () => undefined } as { dispose(): void };
    emitter.event((n) => {
      seen.push(`first ${n}`);
      if (n === 1) {
        second.dispose();
        emitter.event((m) => seen.push(`added ${m}`));
      }
    });
    second = emitter.event((n) => seen.push(`second ${n}`));
    emitter.emit(1);
    emitter.emit(2);
    expect(seen).toEqual(['first 1', 'first 2', 'added 2']);
  });

  it('clear unsubscribes everyone; a listener that is not a function is refused, naming it', () => {
    const emitter = new EventEmitter<number>();
    const seen: number[] = [];
    const subscription = emitter.event((n) => seen.push(n));
    emitter.clear();
    emitter.emit(1);
    subscription.dispose();
    expect(seen).toEqual([]);
    expect(emitter.size).toBe(0);
    expect(() => emitter.event('metrics' as unknown as () => void)).toThrow(InvalidInputError);
    expect(() => emitter.event(null as unknown as () => void)).toThrow(/listener must be a function, got null/);
  });

  it('emitting to no listener costs no allocation of a listener list (size 0 lets a hot path skip building the event)', () => {
    const emitter = new EventEmitter<{ n: number }>();
    expect(emitter.size).toBe(0);
    expect(() => emitter.emit({ n: 1 })).not.toThrow();
  });
});

describe('subscribeHooks: a `hooks` option is a shorthand for subscribing to the events of the same names', () => {
  const make = () => {
    const ticks = new EventEmitter<number>();
    const tocks = new EventEmitter<string>();
    const events: { onTick: Event<number>; onTock: Event<string> } = { onTick: ticks.event, onTock: tocks.event };
    return { ticks, tocks, events };
  };

  it('subscribes each hook with `this` the hooks object, and one dispose stops them all', () => {
    const { ticks, tocks, events } = make();
    const hooks = {
      seen: [] as string[],
      onTick(n: number) {
        this.seen.push(`tick ${n}`);
      },
      onTock(s: string) {
        this.seen.push(`tock ${s}`);
      },
    };
    const subscription = subscribeHooks<{ onTick?(n: number): void; onTock?(s: string): void }>(hooks, events, 'Thing.hooks');
    ticks.emit(1);
    tocks.emit('a');
    subscription.dispose();
    ticks.emit(2);
    expect(hooks.seen).toEqual(['tick 1', 'tock a']);
  });

  it('a name that is not a hook, or a hook that is not a function, is refused naming it, and nothing is subscribed', () => {
    const { ticks, events } = make();
    const seen: number[] = [];
    const bad = { onTick: (n: number) => seen.push(n), onTik: () => undefined };
    type Hooks = { onTick?(n: number): void; onTock?(s: string): void };
    expect(() => subscribeHooks<Hooks>(bad, events, 'Thing.hooks')).toThrow(InvalidConfigError);
    expect(() => subscribeHooks<Hooks>(bad, events, 'Thing.hooks')).toThrow('Thing.hooks.onTik: is not a hook; the hooks are onTick, onTock');
    expect(() => subscribeHooks<Hooks>({ onTick: (n: number) => seen.push(n), onTock: 'log' } as unknown as Hooks, events, 'Thing.hooks')).toThrow('Thing.hooks.onTock: must be a function');
    ticks.emit(1);
    expect(seen).toEqual([]);
    expect(ticks.size).toBe(0);
  });
});

describe('every component exposes its hooks the same way: an Event returning a disposable, isolated from listener failures', () => {
  it('the breaker: onDecision, onStoreCall, onObservation; the hooks option still works and a typo in it is refused', async () => {
    const seen: string[] = [];
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), hooks: { onDecision: ({ decision }) => seen.push(`hook ${decision.tier}`) } });
    breaker.onDecision(() => {
      throw new Error('broken');
    });
    const calls = breaker.onStoreCall(({ outcome }) => seen.push(`call ${outcome}`));
    const observations = breaker.onObservation(({ observation }) => seen.push(`observed ${observation.active}`));
    expect((await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' })).tier).toBe(1);
    calls.dispose();
    observations.dispose();
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' });
    expect(seen).toEqual(['call ok', 'observed true', 'hook 1', 'hook 0']);
    expect(() => new VixCircuitBreaker({ clock: null, hooks: { onDecison: () => undefined } as never })).toThrow('VixCircuitBreaker.hooks.onDecison: is not a hook; the hooks are onDecision, onStoreCall, onRepair, onObservation');
  });

  it('a clock whose onLateObservation returns an unsubscribe function (the old style) is refused at construction, and unsubscribed', () => {
    const listeners = new Set<unknown>();
    const clock = Object.assign(new MemoryPanicClock(), {
      onLateObservation: (listener: unknown) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    expect(() => new VixCircuitBreaker({ clock: clock as never })).toThrow('VixCircuitBreaker.clock.onLateObservation: must be an Event: return a Disposable ({ dispose() }), not an unsubscribe function');
    expect(listeners.size).toBe(0);
  });

  it('the adaptive cache: onCacheEvent, and the hooks option', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
    const fromHook: string[] = [];
    const cache = new AdaptiveCache({ breaker, store: new MemoryCacheStore(), hooks: { onCacheEvent: (e) => fromHook.push(e.type) } });
    const seen: string[] = [];
    const subscription = cache.onCacheEvent((e) => seen.push(e.type));
    cache.onCacheEvent(() => {
      throw new Error('broken');
    });
    expect(await cache.getOrLoad('k', () => 1, { baseTtl: 60, vixStatus: 'calm' })).toBe(1);
    subscription.dispose();
    expect(await cache.getOrLoad('k', () => 2, { baseTtl: 60, vixStatus: 'calm' })).toBe(1);
    expect(seen).toEqual(['miss', 'load']);
    expect(fromHook).toEqual(['miss', 'load', 'hit']);
    expect(() => new AdaptiveCache({ breaker, store: new MemoryCacheStore(), hooks: { onEvent: () => undefined } as never })).toThrow('AdaptiveCache.hooks.onEvent: is not a hook');
  });

  it('the VIX engine and its publisher: onReject, onPublish', async () => {
    const engine = new VixEngine();
    const reasons: string[] = [];
    const subscription = engine.onReject((e) => reasons.push(e.reason));
    engine.ingest({ market: 'm', price: 0, ts: 1_700_000_000_000 });
    subscription.dispose();
    engine.ingest({ market: 'm', price: 'x', ts: 1_700_000_000_000 });
    expect(reasons).toEqual(['bad_price']);
    const publisher = new VixPublisher({ engine, clock: new MemoryPanicClock(), refreshIntervalMs: 60_000 });
    expect(typeof publisher.onPublish((e) => e).dispose).toBe('function');
    await publisher.close();
  });

  it('service-side listeners: the scope tracker (onChange), the store health (onInspection) and LocalVix (onTransition)', async () => {
    const tracker = new ScopeTracker({ maxScopes: 5 });
    const changed: string[] = [];
    const changes = tracker.onChange((scope) => changed.push(scope));
    tracker.onChange(() => {
      throw new Error('broken');
    });
    const decision: TtlDecision = { ttl: 0, mode: 'PANIC_FULL', tier: 1, importance: 'medium_stakes', panicDurationMin: 0, nextTierInMin: 30, failSafe: false };
    tracker.record('epl', decision);
    changes.dispose();
    tracker.record('epl', { ...decision, tier: 2 });
    expect(changed).toEqual(['epl']);

    const clock = new MemoryPanicClock();
    await clock.startPanic();
    const health = new StoreHealth(clock);
    const inspected: boolean[] = [];
    health.onInspection((inspection) => inspected.push(inspection.active));
    health.onInspection(() => {
      throw new Error('broken');
    });
    expect((await health.check()).up).toBe(true);
    expect(inspected).toEqual([true]);

    const vix = new LocalVix({ clock: null, idleCheckMs: 0 });
    const subscription = vix.onTransition(() => undefined);
    subscription.dispose();
    await vix.close();
  });
});
