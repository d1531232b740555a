import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonValueList } from '../../src/server/http/json-value-list.js';

/** What `JSON.parse` says of UTF-8 bytes read as the inside of an array: how many values, or null when it throws. */
function parsedCount(bytes: Buffer): number | null {
  try {
    return (JSON.parse(`[${bytes.toString('utf8')}]`) as unknown[]).length;
  } catch {
    return null;
  }
}

/** The validator on a whole buffer: padded on both sides, so that it must keep within [from, to). */
function validates(bytes: Buffer, count: number, maxDepth = 64): boolean {
  const padded = Buffer.concat([Buffer.from('"x'), bytes, Buffer.from('1"')]);
  return isJsonValueList(padded, 2, 2 + bytes.length, count, maxDepth);
}

/** Whether the validator and JSON.parse agree on `bytes` (for each count the parse could give, and one it does not). */
function agrees(bytes: Buffer): void {
  const count = parsedCount(bytes);
  if (count === null) {
    for (const n of [0, 1, 2, 3]) expect(validates(bytes, n), `${JSON.stringify(bytes.toString('latin1'))} is not JSON, count ${n}`).toBe(false);
    return;
  }
  expect(validates(bytes, count), `${JSON.stringify(bytes.toString('latin1'))} is ${count} values`).toBe(count > 0);
  expect(validates(bytes, count + 1)).toBe(false);
  if (count > 1) expect(validates(bytes, count - 1)).toBe(false);
}

/** Characters that matter to the grammar, and some that do not, for mutated texts. */
const GRAMMAR = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'r', 'n', 'f', 'a', 'l', 's', ' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u00a0', '\u0000', '\u001f', '\u007f', 'é', '😀', '\u2028', 'x', 'A', '/', 'b'];

describe('isJsonValueList: the JSON grammar on bytes, as JSON.parse reads them', () => {
  it('property: the text of any JSON values, however written, is that many values', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 8 }), fc.constantFrom(undefined, 1, '\t', '\r\n'), (values, indent) => {
        const text = JSON.stringify(values, null, indent);
        agrees(Buffer.from(text.slice(1, -1), 'utf8')); // the inside of the array
      }),
      { numRuns: 1000, seed: 3 },
    );
  });

  it('property: a text of the grammar’s characters in any order is accepted exactly when JSON.parse accepts it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...GRAMMAR), { maxLength: 24 }), (chars) => agrees(Buffer.from(chars.join(''), 'utf8'))),
      { numRuns: 5000, seed: 5 },
    );
  });

  it('property: valid JSON with one byte changed, inserted or removed is accepted exactly when JSON.parse accepts it', () => {
    const byte = fc.oneof(fc.constantFrom(...GRAMMAR.map((c) => c.charCodeAt(0) & 0xff)), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 4 }), fc.nat(), byte, fc.constantFrom('change', 'insert', 'remove'), (values, at, b, how) => {
        const bytes = Buffer.from(JSON.stringify(values).slice(1, -1), 'utf8');
        const i = bytes.length === 0 ? 0 : at % bytes.length;
        const mutated = how === 'change' ? Buffer.concat([bytes.subarray(0, i), Buffer.from([b]), bytes.subarray(i + 1)]) : how === 'insert' ? Buffer.concat([bytes.subarray(0, i), Buffer.from([b]), bytes.subarray(i)]) : Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
        agrees(mutated);
      }),
      { numRuns: 5000, seed: 9 },
    );
  });

  it.each([
    ['numbers', '0, -0, 1.5, -1e5, 2E+3, 1e-7, 123456789012345678901234567890, 1e400', true],
    ['a leading zero', '01', false],
    ['a bare minus', '-', false],
    ['a dot with no digit after', '1.', false],
    ['an exponent with no digit', '1e', false],
    ['a plus sign', '+1', false],
    ['a dot first', '.5', false],
    ['hex', '0x10', false],
    ['Infinity and NaN', 'Infinity', false],
    ['literals', 'true, false, null', true],
    ['a literal cut short', 'tru', false],
    ['a literal in capitals', 'True', false],
    ['a literal run on', 'nulll', false],
    ['escapes', '"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\uDFFF"', true],
    ['an unknown escape', '"\\a"', false],
    ['a short \\u', '"\\u12"', false],
    ['a \\u with a non-hex digit', '"\\u12g4"', false],
    ['a raw tab in a string', '"a\tb"', false],
    ['a raw DEL in a string', '"a\u007fb"', true],
    ['a raw U+2028 in a string', '"a\u2028b"', true],
    ['a vertical tab between values', '1,\u000b2', false],
    ['a no-break space between values', '1,\u00a02', false],
    ['single quotes', "'a'", false],
    ['a key without quotes', '{a:1}', false],
    ['a trailing comma in an object', '{"a":1,}', false],
    ['a trailing comma in an array', '[1,]', false],
    ['a missing colon', '{"a" 1}', false],
    ['a colon in an array', '[1:2]', false],
    ['mismatched brackets', '[1}', false],
    ['empty containers', '{}, [], {"a":[]}', true],
    ['a comment', '1 /* x */', false],
  ])('%s', (_what, text, valid) => {
    expect(parsedCount(Buffer.from(text)) !== null).toBe(valid); // the table itself says what JSON.parse says
    agrees(Buffer.from(text, 'utf8'));
  });

  it('bytes that are not valid UTF-8 are allowed inside strings only (decoding makes them U+FFFD), and never swallow the closing quote', () => {
    const inString = Buffer.from([0x22, 0xff, 0xc3, 0x22, 0x2c, 0x31]); // "\xff\xc3",1
    expect(parsedCount(inString)).toBe(2);
    expect(validates(inString, 2)).toBe(true);
    const outside = Buffer.from([0x31, 0x2c, 0xff]);
    expect(parsedCount(outside)).toBeNull();
    expect(validates(outside, 2)).toBe(false);
  });

  it('nesting past maxDepth is refused (the only place it is stricter than JSON.parse, and its callers bound the depth themselves)', () => {
    const text = Buffer.from('{"a":[1]}, 2');
    expect(isJsonValueList(text, 0, text.length, 2, 2)).toBe(true);
    expect(isJsonValueList(text, 0, text.length, 2, 1)).toBe(false);
  });
});
