import { describeValue } from '../../core/errors.js';
import { HttpError, invalidBody } from './http-error.js';
import { mayPollute, parseJsonBody, pollutionPath } from './json-body-parser.js';
import { parseBody } from './parse-body.js';
import { ticksRequestSchema } from './request-schemas.js';
import { batchOf, type TickBatch } from '../vix/tick-batch.js';

/** Options of {@link parseTicksBody}. */
export interface TicksBodyOptions {
  /** Most ticks in a batch; more is a 413 `too_many_ticks`. */
  maxTicks: number;
  /** Ticks parsed between two yields to the event loop. Default 500. */
  sliceTicks?: number;
  /** Bodies up to this many bytes are parsed at once (it costs less than a slice). Default 64 KiB. */
  wholeUpTo?: number;
}

/**
 * Deepest nesting inside the ticks array: a tick is an object (1) whose fields may hold
 * one more level (2) for the engine to judge (`bad_market`…); a tick is never deeper.
 */
export const MAX_TICK_DEPTH = 2;
/** Largest tick, in bytes of JSON: a tick is four short fields (market ≤ 200 characters); 4 KiB leaves room for extra fields. */
export const MAX_TICK_BYTES = 4096;
/** Deepest nesting of a body not written `{"ticks":[…]}` (the body, the array, a tick, a field). */
const MAX_BODY_DEPTH = MAX_TICK_DEPTH + 2;

const HEAD = /^\s*\{\s*"ticks"\s*:\s*\[/;
const TAIL = /^\s*\}\s*$/;
const SCAN_BYTES = 65_536;
const [COMMA, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, QUOTE, BACKSLASH] = [',', '{', '}', '[', ']', '"', '\\'].map((c) => c.charCodeAt(0)) as [number, number, number, number, number, number, number];

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where one slice of a big body lies, and how many ticks it holds. */
interface Slice {
  from: number;
  to: number;
  count: number;
}

/**
 * Checks the body of `POST /v1/ticks` (`{"ticks":[…]}`, as received: bytes, never one
 * big string) without blocking the event loop for the whole body, and gives its ticks a
 * slice at a time. The bytes are scanned first, before anything is parsed: a tick nested
 * deeper than {@link MAX_TICK_DEPTH} or larger than {@link MAX_TICK_BYTES} is a 400
 * naming it, found as soon as the scan reaches it, so no body costs more than a byte loop
 * and the parse of flat ticks (a 450,000-deep array in one tick used to hold the loop for
 * up to a second). A large body is cut at the array's top-level commas (UTF-8 never hides
 * an ASCII `,` `"` `\` or bracket inside a character); each slice of `sliceTicks` ticks is
 * parsed and checked, yielding between slices, then dropped: the batch parses it again when
 * it is ingested, so a 10,000-tick batch costs other requests a fraction of a millisecond
 * at a time (instead of one multi-millisecond `JSON.parse`) and never lives whole in memory
 * (the garbage collector's pauses stay short). The errors are those of a whole parse (400
 * naming the field, prototype-pollution keys refused, 413 past `maxTicks`), all found
 * before anything is ingested, except that a large body must be exactly `{"ticks":[…]}`.
 * @throws HttpError 400 `invalid_json` / `invalid_body`, 413 `too_many_ticks`.
 */
export async function parseTicksBody(body: Buffer | string | undefined, options: TicksBodyOptions): Promise<TickBatch> {
  // No body at all (no content type, or an empty one): as for every route, a 400 naming it.
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) throw invalidBody('body', `must be a JSON object { ticks: [...] }, got ${describeValue(body)}`);
  const { maxTicks } = options;
  const sliceTicks = options.sliceTicks ?? 500;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = HEAD.exec(bytes.toString('latin1', 0, 256)); // latin1: one character per byte, so offsets are byte offsets
  if (head === null) {
    if (bytes.length > 65_536) throw invalidBody('body', 'over 64 KiB must be exactly {"ticks":[…]}, with no other field');
    refuseDeepNesting(bytes);
    return batchOf(parseWhole(bytes, maxTicks), sliceTicks);
  }
  // A small body is scanned for the tick bounds, then parsed in one go (it costs less than a slice).
  const whole = bytes.length <= (options.wholeUpTo ?? 65_536);
  const slices: Slice[] = [];
  let checked = 0;
  const check = (from: number, to: number, count: number) => {
    parseSlice(bytes, from, to, count, checked);
    slices.push({ from, to, count });
    checked += count;
  };
  let sliceStart = head[0].length;
  let tickStart = sliceStart; // where the current tick begins, for its size
  let commas = 0; // top-level commas since sliceStart
  let elements = 0; // elements seen in all, for the 413 and to name a tick
  let depth = 0;
  let inString = false;
  let nextYield = sliceStart + SCAN_BYTES;
  for (let i = sliceStart; i < bytes.length; i += 1) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > MAX_TICK_DEPTH) throw tooDeep(elements);
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) depth -= 1;
    else if (c === COMMA && depth === 0) {
      if (i - tickStart > MAX_TICK_BYTES) throw tooLarge(elements);
      tickStart = i + 1;
      commas += 1;
      elements += 1;
      if (!whole && elements < maxTicks && commas === sliceTicks) {
        check(sliceStart, i, commas);
        sliceStart = i + 1;
        commas = 0;
        await yieldToLoop();
        nextYield = i + SCAN_BYTES;
      }
    } else if (c === CLOSE_BRACKET) {
      // The end of the ticks array.
      if (i - tickStart > MAX_TICK_BYTES) throw tooLarge(elements);
      if (whole) {
        refuseDeepNesting(bytes, i + 1, 1); // whatever follows the array, inside the body's object
        return batchOf(parseWhole(bytes, maxTicks), sliceTicks);
      }
      const empty = checked === 0 && commas === 0 && bytes.toString('latin1', sliceStart, i).trim() === '';
      if (!empty) elements += 1;
      if (elements > maxTicks) throw tooMany(maxTicks, elements);
      if (!empty) check(sliceStart, i, commas + 1);
      if (!TAIL.test(bytes.toString('latin1', i + 1))) throw invalidBody('body', 'over 64 KiB must be exactly {"ticks":[…]}, with no other field');
      return {
        count: checked,
        *slices() {
          for (const slice of slices) yield JSON.parse(arrayText(bytes, slice.from, slice.to)) as unknown[];
        },
        *texts() {
          for (const slice of slices) yield arrayText(bytes, slice.from, slice.to);
        },
      };
    }
    if (i >= nextYield) {
      // A tick as large as a whole scan step is refused here, long before its end.
      if (i - tickStart > MAX_TICK_BYTES) throw tooLarge(elements);
      if (!whole) await yieldToLoop();
      nextYield = i + SCAN_BYTES;
    }
  }
  if (whole) return batchOf(parseWhole(bytes, maxTicks), sliceTicks); // not closed: the parse names the fault
  if (elements + 1 > maxTicks) throw tooMany(maxTicks, elements + 1);
  throw new HttpError(400, 'invalid_json', 'body', 'body is not valid JSON: the ticks array is not closed');
}

/** A body not written `{"ticks":[…]}` (at most 64 KiB) nested deeper than any valid one is refused before it is parsed. */
function refuseDeepNesting(bytes: Buffer, from = 0, depthAtFrom = 0): void {
  let depth = depthAtFrom;
  let inString = false;
  for (let i = from; i < bytes.length; i += 1) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > MAX_BODY_DEPTH) throw invalidBody('body', `nests deeper than ${MAX_BODY_DEPTH} levels; send {"ticks":[{ market, price, ts, scope? }, …]}`);
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) depth -= 1;
  }
}

function tooDeep(index: number): HttpError {
  return invalidBody(`ticks.${index}`, `must be a flat tick { market, price, ts, scope? }: it nests deeper than ${MAX_TICK_DEPTH} levels`);
}

function tooLarge(index: number): HttpError {
  return invalidBody(`ticks.${index}`, `must be at most ${MAX_TICK_BYTES} bytes of JSON (a tick is { market, price, ts, scope? }); it is larger`);
}

/** A small body, or one not written `{"ticks":[…]}` (at most 64 KiB): one parse, the shared validation. */
function parseWhole(bytes: Buffer, maxTicks: number): unknown[] {
  const body = parseJsonBody(bytes.toString('utf8'));
  const ticks = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { ticks?: unknown }).ticks : undefined;
  if (Array.isArray(ticks) && ticks.length > maxTicks) throw tooMany(maxTicks, ticks.length);
  return parseBody(ticksRequestSchema, body).ticks;
}

/** Parses and checks bytes `[from, to)`: `count` ticks between top-level commas, the first of them tick number `first`. */
function parseSlice(bytes: Buffer, from: number, to: number, count: number, first: number): void {
  const part = arrayText(bytes, from, to);
  let parsed: unknown;
  try {
    parsed = JSON.parse(part);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', 'body', `body is not valid JSON: ${(error as Error).message} (in ticks ${first}–${first + count - 1})`);
  }
  const slice = parsed as unknown[];
  // A count that differs is an empty element (`[1,,2]`, a trailing comma) that the slice's brackets hid.
  if (slice.length !== count) throw new HttpError(400, 'invalid_json', 'body', `body is not valid JSON: an empty tick near tick ${first + slice.length}`);
  if (mayPollute(part)) {
    const path = pollutionPath(slice);
    if (path !== null) {
      const dot = path.indexOf('.');
      throw invalidBody(`ticks.${first + Number(path.slice(0, dot))}${path.slice(dot)}`, 'is a forbidden key (prototype pollution)');
    }
  }
}

/**
 * The ticks in bytes `[from, to)` as the text of a JSON array, decoded in one go: the
 * delimiters on either side (the body's `[` or a comma before, a comma or `]` after)
 * are briefly overwritten with `[` and `]`, which spares a copy of the slice per parse.
 */
function arrayText(bytes: Buffer, from: number, to: number): string {
  const before = bytes[from - 1]!;
  const after = bytes[to]!;
  bytes[from - 1] = OPEN_BRACKET;
  bytes[to] = CLOSE_BRACKET;
  try {
    return bytes.toString('utf8', from - 1, to + 1);
  } finally {
    bytes[from - 1] = before;
    bytes[to] = after;
  }
}

function tooMany(maxTicks: number, count: number): HttpError {
  return new HttpError(413, 'too_many_ticks', 'ticks', `ticks must hold at most ${maxTicks} ticks per batch, got ${count}; split the batch`);
}

