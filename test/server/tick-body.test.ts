import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/server/http/http-error.js';
import { MAX_TICK_BYTES, parseTicksBody, type TicksBodyOptions } from '../../src/server/http/tick-body.js';
import { sliceText } from '../../src/server/vix/tick-batch.js';

/** Every tick of a parsed body, slice after slice; the count must match. */
async function ticksOf(text: string | Buffer, options: TicksBodyOptions): Promise<unknown[]> {
  const batch = await parseTicksBody(text, options);
  const ticks: unknown[] = [];
  for (const slice of batch.slices()) ticks.push(...slice);
  expect(batch.count).toBe(ticks.length);
  // What a cluster worker forwards: the same slices, as text.
  if (batch.texts) expect([...batch.texts()].flatMap((text) => JSON.parse(text) as unknown[])).toEqual(ticks);
  // And as bytes: views into the body with their delimiters, read as brackets.
  if (batch.bytes) expect([...batch.bytes()].flatMap((bytes) => JSON.parse(sliceText(bytes)) as unknown[])).toEqual(ticks);
  return ticks;
}

/** Options that send every body through the sliced parse, a few ticks per slice. */
const sliced = (sliceTicks = 3, maxTicks = 10_000) => ({ maxTicks, sliceTicks, wholeUpTo: 0 });

async function refusal(text: string | Buffer, options: TicksBodyOptions = sliced()): Promise<{ status: number; error: string; field: string | null; message: string }> {
  try {
    await parseTicksBody(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    const e = error as HttpError;
    return { status: e.statusCode, error: e.error, field: e.field, message: e.message };
  }
  throw new Error(`accepted: ${text}`);
}

describe('POST /v1/ticks bodies are parsed a slice at a time, with the result of a whole parse', () => {
  it('property: any ticks array of ticks at most two levels deep, however written, gives the same ticks as JSON.parse', async () => {
    const value = fc.jsonValue({ maxDepth: 1 });
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 40 }), fc.constantFrom(undefined, 1, 2, '\t'), fc.integer({ min: 1, max: 7 }), async (ticks, indent, sliceTicks) => {
        const text = JSON.stringify({ ticks }, null, indent);
        expect(await ticksOf(text, sliced(sliceTicks))).toEqual((JSON.parse(text) as { ticks: unknown[] }).ticks);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('property: UTF-8 text of any kind (accents, emoji, escapes) is cut only between ticks', async () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom(',', ']', '[', '{', '}', '"', '\\', 'é', 'Ω', '😀', '\u2028'), fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ market: text, price: fc.double({ noNaN: true, noDefaultInfinity: true }), note: text }), { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), async (ticks, sliceTicks) => {
        const body = JSON.stringify({ ticks });
        expect(await ticksOf(Buffer.from(body, 'utf8'), sliced(sliceTicks))).toEqual((JSON.parse(body) as { ticks: unknown[] }).ticks);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('strings holding brackets, commas, quotes and escapes do not cut a tick', async () => {
    const ticks = [{ market: 'a,b]c}', price: 2, ts: 1 }, { market: 'q"[{,\\', price: 3, ts: 2 }, 'x\\",]', [1, [2, ']']], { market: '[[[{{{', note: { a: '[[[' } }];
    expect(await ticksOf(JSON.stringify({ ticks }), sliced(1))).toEqual(ticks);
  });

  it.each<[string, string, string, string]>([
    ['a trailing comma', '{"ticks":[1,2,3,]}', 'invalid_json', 'body'],
    ['two commas in a row', '{"ticks":[1,,2]}', 'invalid_json', 'body'],
    ['a leading comma', '{"ticks":[,1]}', 'invalid_json', 'body'],
    ['a tick cut short', '{"ticks":[{"market":"m","price":2,"ts":1},{"market":]}', 'invalid_json', 'body'],
    ['an array never closed', '{"ticks":[1,2,3', 'invalid_json', 'body'],
    ['a string never closed', '{"ticks":[1,"2]}', 'invalid_json', 'body'],
    ['another field after the ticks', '{"ticks":[1,2],"source":"feed"}', 'invalid_body', 'body'],
    ['text after the body', '{"ticks":[1,2]} x', 'invalid_body', 'body'],
    ['__proto__ in the fifth tick', '{"ticks":[1,2,3,4,{"market":"m","__proto__":{"x":1}}]}', 'invalid_body', 'ticks.4.__proto__'],
    ['__proto__ spelt with escapes in the fourth tick', '{"ticks":[1,2,3,{"\\u005f_proto__":{}}]}', 'invalid_body', 'ticks.3.__proto__'],
    ['constructor.prototype in the seventh tick', '{"ticks":[1,2,3,4,5,6,{"a":1,"constructor":{"prototype":1}}]}', 'invalid_body', 'ticks.6.constructor.prototype'],
    ['constructor.prototype too deep in the seventh tick', '{"ticks":[1,2,3,4,5,6,{"a":{"constructor":{"prototype":{}}}}]}', 'invalid_body', 'ticks.6'],
  ])('%s is a 400 naming %s', async (_what, text, error, field) => {
    expect(await refusal(text)).toMatchObject({ status: 400, error, field });
  });

  it('a tick nested deeper than two levels, or larger than 4 KiB, is a 400 naming it, in a small body or a sliced one', async () => {
    const deep = (depth: number) => `{"ticks":[{"market":"a","price":2,"ts":1},{"market":"prototype","price":2,"ts":1,"x":${'['.repeat(depth)}${']'.repeat(depth)}}]}`;
    for (const options of [sliced(), { maxTicks: 10 }]) {
      expect(await ticksOf(deep(1), options)).toHaveLength(2); // a field holding an array: the engine judges it
      expect(await refusal(deep(2), options)).toEqual({ status: 400, error: 'invalid_body', field: 'ticks.1', message: 'ticks.1 must be a flat tick { market, price, ts, scope? }: it nests deeper than 2 levels' });
      expect(await refusal(`{"ticks":[1,2,{"market":"${'m'.repeat(MAX_TICK_BYTES)}","price":2,"ts":1},3]}`, options)).toMatchObject({ status: 400, field: 'ticks.2', message: expect.stringMatching(/at most 4096 bytes/) });
      expect(await ticksOf(`{"ticks":[1,2,{"market":"${'m'.repeat(MAX_TICK_BYTES - 40)}","price":2,"ts":1},3]}`, options)).toHaveLength(4);
      expect(await refusal(`{"ticks":[1,2,"${'s'.repeat(MAX_TICK_BYTES + 1)}"]}`, options)).toMatchObject({ status: 400, field: 'ticks.2' }); // the last tick too
    }
    // A body not written {"ticks":[…]} is held to the same depth before it is parsed; so is what follows a small body's array.
    expect(await refusal(`{"source":${'['.repeat(5)}${']'.repeat(5)},"ticks":[]}`, { maxTicks: 10 })).toMatchObject({ status: 400, field: 'body', message: expect.stringMatching(/nests deeper than 4 levels/) });
    expect(await refusal(`{"ticks":[],"source":${'['.repeat(4)}${']'.repeat(4)}}`, { maxTicks: 10 })).toMatchObject({ status: 400, field: 'body', message: expect.stringMatching(/nests deeper than 4 levels/) });
  });

  it('a 900 KB tick of a 450,000-deep array is refused after scanning one step of it, not parsed', async () => {
    const depth = 450_000;
    const body = Buffer.from(`{"ticks":[{"market":"prototype","price":2,"ts":1,"x":${'['.repeat(depth)}${']'.repeat(depth)}}]}`);
    expect(await refusal(body, { maxTicks: 10_000 })).toMatchObject({ status: 400, field: 'ticks.0', message: expect.stringMatching(/nests deeper than 2 levels/) });
    const wide = Buffer.from(`{"ticks":[{"market":"prototype","price":2,"ts":1,"x":"${'y'.repeat(900_000)}"}]}`);
    expect(await refusal(wide, { maxTicks: 10_000 })).toMatchObject({ status: 400, field: 'ticks.0', message: expect.stringMatching(/at most 4096 bytes/) });
  });

  it('more ticks than maxTicks is a 413 with the exact count', async () => {
    const text = JSON.stringify({ ticks: Array.from({ length: 23 }, (_, i) => i) });
    expect(await refusal(text, sliced(3, 20))).toEqual({ status: 413, error: 'too_many_ticks', field: 'ticks', message: 'ticks must hold at most 20 ticks per batch, got 23; split the batch' });
    expect(await ticksOf(text, sliced(3, 23))).toHaveLength(23);
  });

  it('an empty ticks array is fine, and a body that is not {"ticks":[…]} over 64 KiB is refused without parsing it', async () => {
    expect(await ticksOf('{ "ticks" : [ ] }', sliced())).toEqual([]);
    const big = JSON.stringify({ source: 'x'.repeat(70_000), ticks: [] });
    expect(await refusal(big, { maxTicks: 10 })).toMatchObject({ status: 400, field: 'body', message: 'body over 64 KiB must be exactly {"ticks":[…]}, with no other field' });
    // A small one gets the whole parse's answer, naming the field.
    expect(await refusal('{"source":"x","ticks":[]}', { maxTicks: 10 })).toMatchObject({ status: 400, field: 'source' });
  });

  it('the event loop runs between slices of a 10,000-tick body', async () => {
    const text = JSON.stringify({ ticks: Array.from({ length: 10_000 }, (_, i) => ({ market: `m${i % 50}`, price: 2, ts: i })) });
    let turns = 0;
    let parsing = true;
    const probe = () => {
      turns += 1;
      if (parsing) setImmediate(probe);
    };
    setImmediate(probe);
    const batch = await parseTicksBody(text, { maxTicks: 10_000 });
    parsing = false;
    expect(batch.count).toBe(10_000);
    expect([...batch.slices()].map((slice) => slice.length)).toEqual(Array(20).fill(500)); // parsed again, a slice at a time
    expect(turns).toBeGreaterThanOrEqual(19); // one turn per slice of 500 ticks
  });
});

describe('checkSlices: false (a cluster worker, whose primary parses every slice before ingesting any) only scans a large body', () => {
  const ticks = Array.from({ length: 40 }, (_, i) => ({ market: `m${i}`, price: 2, ts: 1_700_000_000_000 + i }));
  const bad = JSON.stringify({ ticks }).replace('"market":"m39","price":2,', '"market":"m39","price":2,,');

  it('a slice that is not valid JSON is left to the primary: the scan gives the batch with its count, and its bytes as sent', async () => {
    expect((await refusal(bad)).error).toBe('invalid_json'); // checked here by default
    const batch = await parseTicksBody(bad, { ...sliced(), checkSlices: false });
    expect(batch.count).toBe(40);
    expect([...batch.bytes!()].map((bytes) => sliceText(bytes).slice(1, -1)).join(',')).toBe(bad.slice('{"ticks":['.length, -2));
  });

  it('the scan’s own bounds still hold: a tick nested too deep or too large, more than maxTicks, an unclosed array', async () => {
    const deep = JSON.stringify({ ticks: [...ticks.slice(0, 10), { market: 'm', price: 2, ts: 1, x: [[1]] }] });
    expect(await refusal(deep, { ...sliced(), checkSlices: false })).toMatchObject({ error: 'invalid_body', field: 'ticks.10' });
    const large = JSON.stringify({ ticks: [...ticks.slice(0, 10), { market: 'm'.repeat(MAX_TICK_BYTES), price: 2, ts: 1 }] });
    expect(await refusal(large, { ...sliced(), checkSlices: false })).toMatchObject({ error: 'invalid_body', field: 'ticks.10' });
    expect(await refusal(JSON.stringify({ ticks }), { ...sliced(3, 39), checkSlices: false })).toMatchObject({ status: 413, error: 'too_many_ticks' });
    expect(await refusal(JSON.stringify({ ticks }).slice(0, -2), { ...sliced(), checkSlices: false })).toMatchObject({ error: 'invalid_json' });
  });
});
