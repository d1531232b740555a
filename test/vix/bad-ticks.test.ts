import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { REJECT_REASONS, REJECT_RULES, type RejectReason } from '../../src/vix/tick.js';
import { VixEngine } from '../../src/vix/vix-engine.js';

const T = Date.UTC(2024, 4, 18, 13, 0);
const good = { market: 'psg-om/home', price: 2.1, ts: T, scope: 'ligue-1' };

const throwing = Object.defineProperty({}, 'market', {
  enumerable: true,
  get() {
    throw new Error('a getter that throws');
  },
});

/** [what, the bad tick (after `good` was ingested), reason]. */
const CASES: Array<[string, unknown, RejectReason]> = [
  ['null', null, 'malformed'],
  ['a number', 42, 'malformed'],
  ['a string (an unparsable JSON line)', '{"market": "x", price', 'malformed'],
  ['an array', [T, 'x', 2], 'malformed'],
  ['an object whose getter throws', throwing, 'malformed'],
  ['no price', { market: 'x', ts: T + 1 }, 'missing_field'],
  ['price null', { market: 'x', ts: T + 1, price: null }, 'missing_field'],
  ['no market', { price: 2, ts: T + 1 }, 'missing_field'],
  ['no ts', { market: 'x', price: 2 }, 'missing_field'],
  ['a numeric market', { market: 42, price: 2, ts: T + 1 }, 'bad_market'],
  ['an empty market', { market: '', price: 2, ts: T + 1 }, 'bad_market'],
  ['a market of 201 characters', { market: 'm'.repeat(201), price: 2, ts: T + 1 }, 'bad_market'],
  ['price 1 (implied probability 100 %)', { ...good, price: 1, ts: T + 1 }, 'bad_price'],
  ['price below 1', { ...good, price: 0.87, ts: T + 1 }, 'bad_price'],
  ['a negative price', { ...good, price: -2, ts: T + 1 }, 'bad_price'],
  ['price NaN', { ...good, price: Number.NaN, ts: T + 1 }, 'bad_price'],
  ['price Infinity', { ...good, price: Number.POSITIVE_INFINITY, ts: T + 1 }, 'bad_price'],
  ['price as a string', { ...good, price: '2.5', ts: T + 1 }, 'bad_price'],
  ['price as a boolean', { ...good, price: true, ts: T + 1 }, 'bad_price'],
  ['a negative ts', { ...good, ts: -1 }, 'bad_ts'],
  ['ts NaN', { ...good, ts: Number.NaN }, 'bad_ts'],
  ['ts past the last Date', { ...good, ts: 9e15 }, 'bad_ts'],
  ['ts in words', { ...good, ts: 'half past nine' }, 'bad_ts'],
  ['ts without a time zone', { ...good, ts: '2024-05-18T13:00:01' }, 'bad_ts'],
  ['ts with a space instead of T', { ...good, ts: '2024-05-18 13:00:01Z' }, 'bad_ts'],
  ['epoch ms as a string', { ...good, ts: String(T + 1) }, 'bad_ts'],
  ['ts a day ahead of the engine’s time', { ...good, ts: T + 86_400_000 }, 'future_ts'],
  ['ts 9999-12-31T23:59:59Z', { ...good, ts: '9999-12-31T23:59:59Z' }, 'future_ts'],
  ['ts in microseconds instead of ms', { ...good, ts: T * 1000 }, 'future_ts'],
  ['ts a day behind the engine’s time (another market)', { ...good, market: 'other', ts: T - 86_400_000 }, 'stale_ts'],
  ['ts in seconds instead of ms (January 1970)', { ...good, market: 'other', ts: Math.floor(T / 1000) }, 'stale_ts'],
  ['ts 1970-01-01T00:00:00Z', { ...good, market: 'other', ts: '1970-01-01T00:00:00Z' }, 'stale_ts'],
  ['a scope with a space', { ...good, ts: T + 1, scope: 'ligue 1' }, 'bad_scope'],
  ['a scope of 65 characters', { ...good, ts: T + 1, scope: 's'.repeat(65) }, 'bad_scope'],
  ['a scope with an accent', { ...good, ts: T + 1, scope: 'clásico' }, 'bad_scope'],
  ['a numeric scope', { ...good, ts: T + 1, scope: 7 }, 'bad_scope'],
  ['a tick older than its market’s last one', { ...good, ts: T - 1 }, 'out_of_order'],
  ['the same ts again (even at another price)', { ...good, price: 2.5 }, 'duplicate'],
];

describe('bad ticks: each kind is handled by its rule, counted, and changes nothing', () => {
  for (const [what, tick, reason] of CASES) {
    it(`${what} → ${REJECT_RULES[reason]} (${reason})`, () => {
      const seen: string[] = [];
      const engine = new VixEngine({ hooks: { onReject: (e) => seen.push(`${e.reason}/${e.rule}`) } });
      expect(engine.ingest(good)).toEqual({ accepted: true });
      const before = { snapshots: engine.snapshots(), stats: engine.stats() };
      expect(engine.ingest(tick)).toEqual({ accepted: false, reason, rule: REJECT_RULES[reason] });
      expect(seen).toEqual([`${reason}/${REJECT_RULES[reason]}`]);
      expect(engine.snapshots()).toEqual(before.snapshots);
      expect(engine.stats()).toEqual({ ...before.stats, rejected: 1, byReason: { ...before.stats.byReason, [reason]: 1 } });
    });
  }

  it('every reason has a rule, and out-of-order and duplicate ticks are the only ones ignored', () => {
    expect(REJECT_REASONS.filter((r) => REJECT_RULES[r] === 'ignore')).toEqual(['out_of_order', 'duplicate']);
    const covered = new Set(CASES.map(([, , reason]) => reason));
    expect(REJECT_REASONS.filter((r) => !covered.has(r))).toEqual(['too_many_scopes']); // covered in scope-eviction.test.ts
  });
});

describe('ticks that are fine', () => {
  it.each<[string, object]>([
    ['extra fields are ignored', { ...good, ts: T + 1, bookmaker: 'pinnacle', volume: 12 }],
    ['an ISO-8601 ts with an offset', { ...good, ts: '2024-05-18T15:00:01+02:00' }],
    ['an ISO-8601 ts with microseconds', { ...good, ts: '2024-05-18T13:00:01.123456Z' }],
    ['a price just above 1', { ...good, ts: T + 1, price: 1.0001 }],
    ['no scope', { market: 'other', price: 3, ts: T + 1 }],
    ['scope null', { market: 'other', price: 3, ts: T + 1, scope: null }],
  ])('%s', (_what, tick) => {
    const engine = new VixEngine();
    engine.ingest(good);
    expect(engine.ingest(tick)).toEqual({ accepted: true });
  });

  it('an ISO ts and the same instant in epoch ms are the same time', () => {
    const engine = new VixEngine();
    engine.ingest({ ...good, ts: '2024-05-18T13:00:00.000Z' });
    expect(engine.ingest(good)).toMatchObject({ reason: 'duplicate' });
  });
});

describe('never a crash', () => {
  it('any value at all is answered, never thrown', () => {
    const engine = new VixEngine();
    const tickLike = fc.record(
      { market: fc.anything(), price: fc.oneof(fc.double(), fc.anything()), ts: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.anything()), scope: fc.anything() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), tickLike), (value) => {
        const result = engine.ingest(value);
        expect(result.accepted || REJECT_REASONS.includes(result.reason)).toBe(true);
      }),
      { numRuns: 2000, seed: 42 },
    );
    const stats = engine.stats();
    expect(stats.accepted + stats.rejected).toBe(2000);
  });

  it('ingestBatch answers per tick and lists the ones not used with their position', () => {
    const engine = new VixEngine();
    const result = engine.ingestBatch([good, { ...good }, null, { ...good, ts: T + 5, price: 0 }, { ...good, ts: T + 6 }]);
    expect(result).toMatchObject({ accepted: 2, rejected: 3 });
    expect(result.results.map((r) => r.accepted)).toEqual([true, false, false, false, true]);
    expect(result.rejections).toEqual([
      { index: 1, reason: 'duplicate', rule: 'ignore' },
      { index: 2, reason: 'malformed', rule: 'reject' },
      { index: 3, reason: 'bad_price', rule: 'reject' },
    ]);
  });

  it('ingestBatch of something that is not an array is an InvalidInputError naming ticks', () => {
    const engine = new VixEngine();
    expect(() => engine.ingestBatch({ ticks: [] } as unknown as unknown[])).toThrow(InvalidInputError);
    expect(() => engine.ingestBatch('x' as unknown as unknown[])).toThrow(/^ticks must be an array of ticks, got "x"$/);
  });
});
