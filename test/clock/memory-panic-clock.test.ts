import { describe, expect, it } from 'vitest';
import { InvalidConfigError, MemoryPanicClock } from '../../src/index.js';
import { formatStartValue, parseStartValue } from '../../src/clock/start-value.js';
import { panicClockContract } from '../contracts/panic-clock.contract.js';

let now = Date.UTC(2026, 0, 1);
panicClockContract('MemoryPanicClock', {
  clock: (options) => new MemoryPanicClock({ now: () => now, ...options }),
  advance: async (ms) => void (now += ms),
  reset: async () => void (now = Date.UTC(2026, 0, 1)),
});

describe('MemoryPanicClock', () => {
  it('validates its options', () => {
    expect(() => new MemoryPanicClock({ now: 5 as never })).toThrow(InvalidConfigError);
    expect(() => new MemoryPanicClock({ maxScopes: 0 })).toThrow(/MemoryPanicClock\.maxScopes/);
  });

  it('a time source that returns garbage is reported, not used', async () => {
    const clock = new MemoryPanicClock({ now: () => Number.NaN });
    await expect(clock.observe(undefined, 'panic')).rejects.toThrow(/now\(\)/);
  });

  it('keeps at most maxScopes scopes: the least recently used one is dropped', async () => {
    const clock = new MemoryPanicClock({ maxScopes: 3 });
    for (const scope of ['a', 'b', 'c']) await clock.observe(scope, 'panic');
    await clock.observe('a', 'read');
    await clock.observe('d', 'panic');
    expect((await clock.inspect('b')).active).toBe(false);
    for (const scope of ['a', 'c', 'd']) expect((await clock.inspect(scope)).active, scope).toBe(true);
  });
});

describe('stored start values: string, Buffer or number', () => {
  const now = 1_800_000_000_000;
  it.each([
    ['a Python str(time.time())', '1799999999.123456', 1_799_999_999_123.456],
    ['a Buffer', Buffer.from('1799999000.5'), 1_799_999_000_500],
    ['a number', 1_799_999_000, 1_799_999_000_000],
    ['an integer string with spaces', ' 1799999000 ', 1_799_999_000_000],
  ])('%s is parsed', (_name, raw, expected) => {
    const parsed = parseStartValue(raw, now, 300);
    expect(parsed.corrupt).toBeNull();
    expect(parsed.startMs).toBeCloseTo(expected, 0);
  });

  it.each([
    ['garbage', 'unparsable'],
    ['', 'unparsable'],
    ['-5', 'implausible'],
    ['0', 'implausible'],
    ['NaN', 'unparsable'],
    [String(now / 1000 + 3600), 'future'],
  ])('%j is corrupt (%s)', (raw, reason) => {
    expect(parseStartValue(raw, now, 300).corrupt?.reason).toBe(reason);
  });

  it('a start a little in the future (clock skew of a writer) is tolerated', () => {
    expect(parseStartValue(String(now / 1000 + 60), now, 300).corrupt).toBeNull();
  });

  it('formats as the Python workers write: seconds with six decimals', () => {
    expect(formatStartValue(1_799_999_999_123.456)).toBe('1799999999.123456');
  });
});
