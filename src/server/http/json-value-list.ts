const code = (c: string) => c.charCodeAt(0);
const [TAB, LF, CR, SPACE, QUOTE, PLUS, COMMA, MINUS, DOT, ZERO, NINE, COLON] = ['\t', '\n', '\r', ' ', '"', '+', ',', '-', '.', '0', '9', ':'].map(code) as [number, number, number, number, number, number, number, number, number, number, number, number];
const [UPPER_E, LOWER_E, LOWER_U, BACKSLASH, OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] = ['E', 'e', 'u', '\\', '[', ']', '{', '}'].map(code) as [number, number, number, number, number, number, number, number];

/** What comes next, in {@link isJsonValueList}'s walk. */
const VALUE = 0;
const AFTER_VALUE = 1;
const FIRST_KEY = 2;
const KEY = 3;
const COLON_NEXT = 4;
const FIRST_ELEMENT = 5;

const IN_ARRAY = 0;
const IN_OBJECT = 1;

/** The escapes JSON allows after a backslash, `u` apart: `" \ / b f n r t`. */
const SIMPLE_ESCAPE = new Uint8Array(128);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[code(c)] = 1;
const HEX = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX[code(c)] = 1;

const isSpace = (c: number) => c === SPACE || c === LF || c === CR || c === TAB;
const isDigit = (c: number) => c >= ZERO && c <= NINE;

/**
 * Whether UTF-8 bytes `[from, to)` are exactly `count` JSON values separated by commas
 * (the inside of a JSON array), nested at most `maxDepth` levels, as `JSON.parse` would
 * read them once decoded: the JSON grammar checked byte by byte, building nothing.
 * Why: `POST /v1/ticks` checks every slice of a big batch before it ingests any, and
 * parses each slice again to ingest it; checking with `JSON.parse` made each tick's
 * objects and each slice's text twice, garbage whose collection paused the requests
 * served meanwhile. Never more lenient than `JSON.parse`: a byte sequence that is not
 * valid UTF-8 is allowed only inside strings, where decoding makes it U+FFFD. It may be
 * stricter only where it says so (more than `maxDepth` levels); a caller who gets false
 * parses the text to word the error.
 */
export function isJsonValueList(bytes: Uint8Array, from: number, to: number, count: number, maxDepth: number): boolean {
  const stack: number[] = [];
  let state = VALUE;
  let values = 0;
  let i = from;
  while (i < to) {
    const c = bytes[i]!;
    if (isSpace(c)) {
      i += 1;
      continue;
    }
    switch (state) {
      case VALUE:
      case FIRST_ELEMENT:
        if (state === FIRST_ELEMENT && c === CLOSE_BRACKET) {
          stack.pop();
          i += 1;
          state = AFTER_VALUE;
          break;
        }
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (stack.length >= maxDepth) return false;
          stack.push(c === OPEN_BRACE ? IN_OBJECT : IN_ARRAY);
          state = c === OPEN_BRACE ? FIRST_KEY : FIRST_ELEMENT;
          i += 1;
          break;
        }
        i = c === QUOTE ? stringEnd(bytes, i, to) : c === MINUS || isDigit(c) ? numberEnd(bytes, i, to) : literalEnd(bytes, i, to);
        if (i < 0) return false;
        state = AFTER_VALUE;
        break;
      case FIRST_KEY:
      case KEY:
        if (state === FIRST_KEY && c === CLOSE_BRACE) {
          stack.pop();
          i += 1;
          state = AFTER_VALUE;
          break;
        }
        if (c !== QUOTE) return false;
        i = stringEnd(bytes, i, to);
        if (i < 0) return false;
        state = COLON_NEXT;
        break;
      case COLON_NEXT:
        if (c !== COLON) return false;
        i += 1;
        state = VALUE;
        break;
      default: {
        // AFTER_VALUE: a comma, or the end of the container the value is in.
        const inside = stack.length === 0 ? -1 : stack[stack.length - 1]!;
        if (c === COMMA) {
          if (inside === -1) values += 1;
          state = inside === IN_OBJECT ? KEY : VALUE;
        } else if ((c === CLOSE_BRACE && inside === IN_OBJECT) || (c === CLOSE_BRACKET && inside === IN_ARRAY)) stack.pop();
        else return false;
        i += 1;
      }
    }
  }
  return state === AFTER_VALUE && stack.length === 0 && values + 1 === count;
}

/** The offset just past the string opened at `open`, or -1: an unescaped control character, a bad escape or no closing quote. */
function stringEnd(bytes: Uint8Array, open: number, to: number): number {
  for (let i = open + 1; i < to; i += 1) {
    const c = bytes[i]!;
    if (c === QUOTE) return i + 1;
    if (c < SPACE) return -1;
    if (c !== BACKSLASH) continue;
    i += 1;
    if (i >= to) return -1;
    const e = bytes[i]!;
    if (e === LOWER_U) {
      if (i + 4 >= to || !(HEX[bytes[i + 1]!]! & HEX[bytes[i + 2]!]! & HEX[bytes[i + 3]!]! & HEX[bytes[i + 4]!]!)) return -1;
      i += 4;
    } else if (SIMPLE_ESCAPE[e] !== 1) return -1;
  }
  return -1;
}

/** The offset just past the number at `at` (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`), or -1. */
function numberEnd(bytes: Uint8Array, at: number, to: number): number {
  let i = at;
  if (bytes[i] === MINUS) i += 1;
  if (i >= to) return -1;
  if (bytes[i] === ZERO) i += 1;
  else if (isDigit(bytes[i]!)) while (i < to && isDigit(bytes[i]!)) i += 1;
  else return -1;
  if (i < to && bytes[i] === DOT) {
    i += 1;
    if (i >= to || !isDigit(bytes[i]!)) return -1;
    while (i < to && isDigit(bytes[i]!)) i += 1;
  }
  if (i < to && (bytes[i] === LOWER_E || bytes[i] === UPPER_E)) {
    i += 1;
    if (i < to && (bytes[i] === PLUS || bytes[i] === MINUS)) i += 1;
    if (i >= to || !isDigit(bytes[i]!)) return -1;
    while (i < to && isDigit(bytes[i]!)) i += 1;
  }
  return i;
}

const LITERALS = ['true', 'false', 'null'].map((word) => Uint8Array.from(word, code));

/** The offset just past `true`, `false` or `null` at `at`, or -1. */
function literalEnd(bytes: Uint8Array, at: number, to: number): number {
  for (const word of LITERALS) {
    if (bytes[at] !== word[0] || at + word.length > to) continue;
    let k = 1;
    while (k < word.length && bytes[at + k] === word[k]) k += 1;
    return k === word.length ? at + k : -1;
  }
  return -1;
}
