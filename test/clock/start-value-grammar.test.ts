import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { parseStartValue, START_VALUE_MAX_LENGTH } from '../../src/clock/start-value.js';
import { captureLogger } from '../support/capture-logger.js';
import { RedisServer } from '../support/redis-server.js';

const KEY = 'brain:panic_start_ts:grammar';
let server: RedisServer;
let redis: Redis;
let clock: RedisPanicClock;
/** A plausible start: one hour before the server's clock, whole seconds. */
let base: number;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = server.client();
  clock = new RedisPanicClock(redis, { timeoutMs: 2000 });
  base = Number((await redis.time())[0]) - 3600;
});
afterAll(async () => server.stop());
beforeEach(async () => {
  await redis.del(KEY);
});

type Expected = 'valid' | 'unparsable' | 'implausible' | 'future';

/** The one grammar: optional ASCII whitespace, an optional '-', digits, optionally '.' and digits; at most 64 characters. */
const table = (): Array<[string, string, Expected]> => [
  ['integer seconds', `${base}`, 'valid'],
  ['six decimals (the Python workers)', `${base}.123456`, 'valid'],
  ['surrounding spaces', `  ${base}.5  `, 'valid'],
  ['a trailing newline (echo)', `${base}\n`, 'valid'],
  ['a leading tab and trailing CR LF', `\t${base}\r\n`, 'valid'],
  ['leading zeros up to 64 characters', `${'0'.repeat(START_VALUE_MAX_LENGTH - String(base).length)}${base}`, 'valid'],
  ['one character over 64', `${'0'.repeat(START_VALUE_MAX_LENGTH + 1 - String(base).length)}${base}`, 'unparsable'],
  ['a hex float (Lua tonumber reads it as tier 4)', '0x1.9p30', 'unparsable'],
  ['a hex integer', '0x66000000', 'unparsable'],
  ['an exponent', '1.7e9', 'unparsable'],
  ['an exponent on a plausible start', `${base}e0`, 'unparsable'],
  ['a leading +', `+${base}`, 'unparsable'],
  ['inf', 'inf', 'unparsable'],
  ['-inf', '-inf', 'unparsable'],
  ['Infinity', 'Infinity', 'unparsable'],
  ['nan', 'nan', 'unparsable'],
  ['NaN', 'NaN', 'unparsable'],
  ['a trailing dot', `${base}.`, 'unparsable'],
  ['a leading dot', '.5', 'unparsable'],
  ['two dots', `${base}.1.2`, 'unparsable'],
  ['digit separators', `${String(base).slice(0, 4)}_${String(base).slice(4)}`, 'unparsable'],
  ['a binary literal', '0b1100110000000000000000000000000', 'unparsable'],
  ['a no-break space (JS trims it, Lua does not)', `\u00a0${base}`, 'unparsable'],
  ['Arabic-Indic digits', '١٧١٦٠٣٧٢٠٠', 'unparsable'],
  ['a NUL byte after the digits', `${base}\u0000`, 'unparsable'],
  ['empty', '', 'unparsable'],
  ['only spaces', '   ', 'unparsable'],
  ['garbage', 'garbage', 'unparsable'],
  ['negative', '-5', 'implausible'],
  ['zero', '0', 'implausible'],
  ['before 2001-09-09', '999999999', 'implausible'],
  ['ten years ahead', `${base + 10 * 365 * 86_400}`, 'future'],
  ['sixty digits (a huge number)', '9'.repeat(60), 'future'],
];

describe('one grammar for stored starts: the Lua script and the TypeScript parser agree on every value', () => {
  it('the table covers every outcome', () => {
    const outcomes = new Set(table().map(([, , expected]) => expected));
    expect([...outcomes].sort()).toEqual(['future', 'implausible', 'unparsable', 'valid']);
  });

  it.each(table().map(([name], i) => [name, i] as const))('%s', async (_name, i) => {
    const [, value, expected] = table()[i]!;
    // TypeScript, directly.
    const nowMs = (base + 3600) * 1000;
    const parsed = parseStartValue(value, nowMs, 300);
    expect(parsed.corrupt?.reason ?? 'valid').toBe(expected);

    // TypeScript, through inspect (INSPECT script returns the value, TS parses it).
    await redis.set(KEY, value, 'EX', 600);
    const inspection = await clock.inspect('grammar');
    expect(inspection.corrupt?.reason ?? 'valid').toBe(expected);
    expect(await redis.get(KEY)).toBe(value);

    // Lua, through a panic observation (OBSERVE script parses and repairs).
    const observation = await clock.observe('grammar', 'panic');
    expect(observation.repaired?.reason ?? 'valid').toBe(expected);
    if (expected === 'valid') {
      expect(observation.startedAtMs).toBe(inspection.startedAtMs);
      expect(observation.startedAtMs).toBe(parsed.startMs);
      expect(await redis.get(KEY)).toBe(value);
    } else {
      expect(observation.created).toBe(true);
      expect(await redis.get(KEY)).toMatch(/^\d{10}\.\d{6}$/);
    }
  });
});

describe('a corrupt value is logged as a short prefix with its length', () => {
  it('a 5 MB corrupt value: the repair log, the hook, the observation and the inspection carry at most 32 characters and the length', async () => {
    const huge = `x${'9'.repeat(5 * 1024 * 1024 - 1)}`;
    await redis.set(KEY, huge);
    const inspection = await clock.inspect('grammar');
    expect(inspection.corrupt).toEqual({ reason: 'unparsable', raw: `${huge.slice(0, 32)}…`, rawLength: huge.length });
    expect(inspection.raw!.length).toBeLessThanOrEqual(START_VALUE_MAX_LENGTH + 1);

    const { logger, lines } = captureLogger('info');
    const hooked: unknown[] = [];
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 2000, logger, hooks: { onRepair: (e) => hooked.push(e.corrupt) } });
    const decision = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'grammar' });
    expect(decision).toMatchObject({ ttl: 0, failSafe: true, reason: 'corrupt_value_repaired' });
    expect(hooked).toEqual([{ reason: 'unparsable', raw: `${huge.slice(0, 32)}…`, rawLength: huge.length }]);
    const repaired = lines.find((l) => l.msg === 'PANIC_START_REPAIRED')!;
    expect(repaired).toMatchObject({ scope: 'grammar', reason: 'unparsable', raw: `${huge.slice(0, 32)}…`, raw_length: huge.length });
    const longest = Math.max(...lines.map((l) => JSON.stringify(l).length));
    expect(longest).toBeLessThan(1000);
  });

  it('a short corrupt value is kept whole', async () => {
    await redis.set(KEY, '0x1.9p30');
    const observation = await clock.observe('grammar', 'panic');
    expect(observation.repaired).toEqual({ reason: 'unparsable', raw: '0x1.9p30', rawLength: 8 });
  });
});
