import { describe, expect, it } from 'vitest';
import { StoreBusyError, StoreError, StoreTimeoutError } from '../../src/index.js';
import { StoreGuard } from '../../src/core/store-guard.js';

/** A command the test answers by hand: the guard's view of a store that has not replied yet. */
function pending<T>(): { promise: Promise<T>; resolve: (value: T) => void; sent: () => boolean; send: () => Promise<T> } {
  let resolve!: (value: T) => void;
  let sent = false;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve, sent: () => sent, send: () => ((sent = true), promise) };
}

describe('StoreGuard.callGroups: the commands of one batch', () => {
  it('count as one command in flight until the last is answered; past maxInFlight a batch is refused whole, unsent', async () => {
    const guard = new StoreGuard(5000, { maxInFlight: 1 });
    const a = pending<string>();
    const b = pending<string>();
    const batch = guard.callGroups([
      { lane: 'slot:1', send: a.send },
      { lane: 'slot:2', send: b.send },
    ]);
    await Promise.resolve();
    expect(guard.inFlight).toBe(1);
    const c = pending<string>();
    await expect(guard.callGroups([{ lane: 'slot:3', send: c.send }])).rejects.toBeInstanceOf(StoreBusyError);
    expect(c.sent()).toBe(false);
    a.resolve('A');
    b.resolve('B');
    expect(await batch).toEqual([
      { ok: true, value: 'A' },
      { ok: true, value: 'B' },
    ]);
    expect(guard.inFlight).toBe(0);
  });

  it('answer within timeoutMs: a command that does not is a timeout, its lane stays stuck (the next command there is not sent) until it answers', async () => {
    const guard = new StoreGuard(50);
    const hung = pending<string>();
    const started = performance.now();
    const results = await guard.callGroups([
      { lane: 'slot:1', send: hung.send },
      { lane: 'slot:2', send: async () => 'fine' },
      { lane: 'slot:3', send: () => Promise.reject(new Error('READONLY')) },
    ]);
    expect(performance.now() - started).toBeLessThan(5000); // bounded by the timer, not by the hung command
    expect(results[0]).toMatchObject({ ok: false, error: expect.any(StoreTimeoutError) });
    expect(results[1]).toEqual({ ok: true, value: 'fine' });
    expect(results[2]).toMatchObject({ ok: false, error: expect.any(StoreError) });
    expect((results[2] as { error: Error }).error.message).toMatch(/slot:3: Redis command failed: READONLY/);
    expect(guard.inFlight).toBe(1); // the hung command is still out there

    const again = pending<string>();
    const next = await guard.callGroups([
      { lane: 'slot:1', send: again.send },
      { lane: 'slot:2', send: async () => 'still fine' },
    ]);
    expect(next[0]).toMatchObject({ ok: false, error: expect.any(StoreBusyError) });
    expect(again.sent()).toBe(false);
    expect(next[1]).toEqual({ ok: true, value: 'still fine' });

    hung.resolve('late');
    await new Promise((r) => setImmediate(r));
    expect(guard.inFlight).toBe(0);
    expect(await guard.callGroups([{ lane: 'slot:1', send: async () => 'free again' }])).toEqual([{ ok: true, value: 'free again' }]);
  });
});
