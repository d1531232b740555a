import { describe, expect, it } from 'vitest';
import { StatusHysteresis } from '../../src/vix/status-hysteresis.js';
import { resolveVixOptions } from '../../src/vix/vix-options.js';

// Defaults: elevated enter 2 / exit 1.5, 10 s / 30 s; panic enter 4 / exit 2, 10 s / 60 s.
const options = resolveVixOptions();

/** Feeds (time in s, index) pairs, one evaluation each; returns the changes as "t:status". */
function run(points: Array<[number, number]>, warm = true, machine = new StatusHysteresis(options)): string[] {
  const changes: string[] = [];
  for (const [s, index] of points) {
    if (machine.evaluate(s * 1000, index, warm) >= 0) changes.push(`${s}:${machine.status}`);
  }
  return changes;
}

/** The index held at `value` every second from `from` to `to` (inclusive). */
function hold(from: number, to: number, value: number): Array<[number, number]> {
  return Array.from({ length: to - from + 1 }, (_, i) => [from + i, value] as [number, number]);
}

describe('rising: the index must hold at or above enter for enterDelayMs', () => {
  it('above panic.enter for 9 s is no change at all', () => {
    expect(run([...hold(0, 8, 5), ...hold(9, 100, 1)])).toEqual([]);
  });

  it('above panic.enter for 10 s is panic at that instant, straight from calm', () => {
    expect(run(hold(0, 30, 5))).toEqual(['10:panic']);
  });

  it('between elevated.enter and panic.enter for 10 s is elevated', () => {
    expect(run(hold(0, 30, 3))).toEqual(['10:elevated']);
  });

  it('a dip under enter restarts the delay', () => {
    expect(run([...hold(0, 8, 5), [9, 3.9], ...hold(10, 30, 5)])).toEqual(['20:panic']);
  });
});

describe('falling: below exit (lower than enter) for exitDelayMs', () => {
  const panicAt10 = hold(0, 10, 5);

  it('between exit and enter, a panic stays a panic', () => {
    expect(run([...panicAt10, ...hold(11, 1000, 3)])).toEqual(['10:panic']);
  });

  it('below panic.exit for less than 60 s and back up keeps the panic', () => {
    expect(run([...panicAt10, ...hold(11, 69, 1), ...hold(70, 200, 2.5)])).toEqual(['10:panic']);
  });

  it('below both exits long enough goes straight to calm: one transition each way', () => {
    expect(run([...panicAt10, ...hold(11, 200, 1)])).toEqual(['10:panic', '71:calm']);
  });

  it('below panic.exit but above elevated.exit steps down to elevated after panic.exitDelayMs', () => {
    expect(run([...panicAt10, ...hold(11, 200, 1.8)])).toEqual(['10:panic', '71:elevated']);
  });

  it('an index oscillating around panic.enter after the panic does not flap', () => {
    const saw = Array.from({ length: 600 }, (_, i) => [11 + i, i % 2 ? 4.2 : 3.8] as [number, number]);
    expect(run([...panicAt10, ...saw])).toEqual(['10:panic']);
  });
});

describe('warm-up and pending', () => {
  it('nothing changes while the scope is not warm', () => {
    expect(run(hold(0, 100, 50), false)).toEqual([]);
  });

  it('pending reports the status under way and when it is due', () => {
    const machine = new StatusHysteresis(options);
    run(hold(0, 4, 5), true, machine);
    expect(machine.pending(5)).toEqual({ status: 'panic', since: 0, dueAt: 10_000 });
    run(hold(5, 20, 5), true, machine);
    expect(machine.pending(5)).toBeNull();
    run(hold(21, 30, 1), true, machine);
    expect(machine.pending(1)).toEqual({ status: 'calm', since: 21_000, dueAt: 81_000 });
  });
});
