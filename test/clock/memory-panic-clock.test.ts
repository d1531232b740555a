import { describe, expect, it } from 'vitest';
import { InvalidConfigError, InvalidInputError, MemoryPanicClock } from '../../src/index.js';
import { formatStartValue, parseStartValue } from '../../src/clock/start-value.js';

function clockAt(start = Date.UTC(2026, 0, 1), options: { calmGraceSeconds?: number; deadManSwitchSeconds?: number } = {}) {
  let now = start;
  const clock = new MemoryPanicClock({ now: () => now, ...options });
  return { clock, advance: (ms: number) => (now += ms), now: () => now };
}

describe('MemoryPanicClock', () => {
  it('the first panic observation sets the start; later ones keep it', async () => {
    const { clock, advance, now } = clockAt();
    const first = await clock.observe(undefined, 'panic');
    expect(first).toMatchObject({ active: true, created: true, startedAtMs: now(), clockNowMs: now() });
    advance(5000);
    expect(await clock.observe(undefined, 'panic')).toMatchObject({ created: false, startedAtMs: first.startedAtMs, clockNowMs: now() });
  });

  it('calm deletes; read sees nothing afterwards', async () => {
    const { clock } = clockAt();
    await clock.observe('ucl', 'panic');
    expect((await clock.observe('ucl', 'calm')).active).toBe(false);
    expect(await clock.observe('ucl', 'read')).toMatchObject({ active: false, startedAtMs: null });
  });

  it('the dead man\'s switch ends a panic nobody confirms, and each panic observation pushes it back', async () => {
    const { clock, advance } = clockAt(undefined, { deadManSwitchSeconds: 60 });
    await clock.observe(undefined, 'panic');
    advance(50_000);
    await clock.observe(undefined, 'panic');
    advance(50_000);
    expect((await clock.observe(undefined, 'read')).active).toBe(true);
    advance(10_001);
    expect((await clock.observe(undefined, 'read')).active).toBe(false);
  });

  it('with a calm grace, a panic that flickers off and on continues with its first start', async () => {
    const { clock, advance } = clockAt(undefined, { calmGraceSeconds: 30 });
    const first = await clock.observe(undefined, 'panic');
    advance(1000);
    await clock.observe(undefined, 'calm');
    expect((await clock.inspect()).inGrace).toBe(true);
    expect((await clock.observe(undefined, 'read')).active).toBe(false);
    advance(10_000);
    expect(await clock.observe(undefined, 'panic')).toMatchObject({ created: false, startedAtMs: first.startedAtMs });
    await clock.observe(undefined, 'calm');
    advance(30_001);
    expect((await clock.observe(undefined, 'panic')).created).toBe(true);
  });

  it('startPanic backdates a drill, reset ends it, inspect reports it', async () => {
    const { clock, now } = clockAt();
    await clock.startPanic('m:1', { ageMs: 200 * 60_000 });
    expect(await clock.inspect('m:1')).toMatchObject({ active: true, durationMs: 200 * 60_000, location: 'memory:m:1', startedAtMs: now() - 200 * 60_000 });
    expect(await clock.reset('m:1')).toBe(true);
    expect(await clock.reset('m:1')).toBe(false);
  });

  it('validates scopes, drill ages and options', async () => {
    const { clock } = clockAt();
    await expect(clock.observe('no spaces', 'panic')).rejects.toThrow(InvalidInputError);
    await expect(clock.startPanic(undefined, { ageMs: Number.NaN })).rejects.toThrow(/ageMs/);
    expect(() => new MemoryPanicClock({ now: 5 as never })).toThrow(InvalidConfigError);
    expect(() => new MemoryPanicClock({ calmGraceSeconds: 100, deadManSwitchSeconds: 50 })).toThrow(/calmGraceSeconds/);
  });

  it('a time source that returns garbage is reported, not used', async () => {
    const clock = new MemoryPanicClock({ now: () => Number.NaN });
    await expect(clock.observe(undefined, 'panic')).rejects.toThrow(/now\(\)/);
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
