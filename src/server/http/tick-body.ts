import { describeValue } from '../../core/errors.js';
import { HttpError, invalidBody } from './http-error.js';
import { mayPollute, parseJsonBody, pollutionPath } from './json-body-parser.js';
import { isJsonValueList } from './json-value-list.js';
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
  /**
   * Whether the slices of a large body are parsed here to check them (JSON syntax, empty
   * ticks, prototype-pollution keys). False only when whoever ingests the batch parses
   * and checks every slice before ingesting any (the cluster primary does): a cluster
   * worker then only scans the bytes, and each tick is parsed once in the service.
   * Default true.
   */
  checkSlices?: boolean;
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
 * checked on its bytes (the JSON grammar, the count; parsed only when it fails or could
 * spell a forbidden key), yielding between slices: the batch parses each slice when it
 * is ingested, so a 10,000-tick batch costs other requests a fraction of a millisecond
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
  const checkSlices = options.checkSlices ?? true;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = HEAD.exec(bytes.toString('latin1', 0, 256)); // latin1: one character per byte, so offsets are byte offsets
  if (head === null) {
    if (bytes.length > 65_536) throw invalidBody('body', 'over 64 KiB must be exactly {"ticks":[…]}, with no other field');
    refuseDeepNesting(bytes, 0, 0);
    return batchOf(parseWhole(bytes, maxTicks), sliceTicks);
  }
  const scan: Scan = { at: head[0].length, depth: 0, tickStart: head[0].length, elements: 0, commas: 0 };
  // A small body is scanned for the tick bounds in one go, then parsed in one go (it costs less than a slice).
  if (bytes.length <= (options.wholeUpTo ?? 65_536)) {
    if (scanTicks(bytes, scan, bytes.length, Number.POSITIVE_INFINITY) === 'end') refuseDeepNesting(bytes, scan.at + 1, 1); // what follows the array
    return batchOf(parseWhole(bytes, maxTicks), sliceTicks);
  }
  const slices: Slice[] = [];
  let checked = 0;
  let sliceStart = scan.at;
  for (;;) {
    const stop = scanTicks(bytes, scan, Math.min(bytes.length, scan.at + SCAN_BYTES), scan.elements + 1 < maxTicks ? sliceTicks : Number.POSITIVE_INFINITY);
    if (stop === 'more') {
      await yieldToLoop();
      continue;
    }
    if (stop === 'slice') {
      if (checkSlices) checkSlice(bytes, sliceStart, scan.at, scan.commas, checked);
      slices.push({ from: sliceStart, to: scan.at, count: scan.commas });
      checked += scan.commas;
      sliceStart = scan.at + 1;
      scan.at += 1;
      scan.commas = 0;
      await yieldToLoop();
      continue;
    }
    if (stop === 'eof') {
      if (scan.elements + 1 > maxTicks) throw tooMany(maxTicks, scan.elements + 1);
      throw new HttpError('invalid_json', 'body', 'body is not valid JSON: the ticks array is not closed');
    }
    // The end of the ticks array, at scan.at.
    const end = scan.at;
    const empty = checked === 0 && scan.commas === 0 && bytes.toString('latin1', sliceStart, end).trim() === '';
    const elements = scan.elements + (empty ? 0 : 1);
    if (elements > maxTicks) throw tooMany(maxTicks, elements);
    if (!empty) {
      if (checkSlices) checkSlice(bytes, sliceStart, end, scan.commas + 1, checked);
      slices.push({ from: sliceStart, to: end, count: scan.commas + 1 });
      checked += scan.commas + 1;
    }
    if (!TAIL.test(bytes.toString('latin1', end + 1))) throw invalidBody('body', 'over 64 KiB must be exactly {"ticks":[…]}, with no other field');
    return {
      count: checked,
      *slices() {
        for (const slice of slices) yield JSON.parse(arrayText(bytes, slice.from, slice.to)) as unknown[];
      },
      *texts() {
        for (const slice of slices) yield arrayText(bytes, slice.from, slice.to);
      },
      *bytes() {
        for (const slice of slices) yield arrayBytes(bytes, slice.from, slice.to);
      },
    };
  }
}

/** Where {@link scanTicks} is in the ticks array: offset, depth below the array, the current tick's start, ticks ended so far, top-level commas since the slice began. */
interface Scan {
  at: number;
  depth: number;
  tickStart: number;
  elements: number;
  commas: number;
}

/**
 * Scans the ticks array from `scan.at` (synchronously: no per-byte cost but the loop
 * turn, and strings skipped with `indexOf`) and stops at the `sliceTicks`-th top-level
 * comma (`slice`, `scan.at` on it), at the array's closing bracket (`end`, `scan.at` on
 * it), at `limit` (`more`) or at the end of the bytes (`eof`).
 * @throws HttpError 400 for a tick deeper than {@link MAX_TICK_DEPTH} or larger than {@link MAX_TICK_BYTES}.
 */
function scanTicks(bytes: Buffer, scan: Scan, limit: number, sliceTicks: number): 'slice' | 'end' | 'more' | 'eof' {
  let { depth, tickStart } = scan;
  let i = scan.at;
  try {
    for (; i < limit; i += 1) {
      const c = bytes[i]!;
      if (c === QUOTE) {
        i = stringEnd(bytes, i);
        if (i < 0) {
          i = bytes.length;
          return 'eof';
        }
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth += 1;
        if (depth > MAX_TICK_DEPTH) throw tooDeep(scan.elements);
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth > 0) depth -= 1;
        else if (c === CLOSE_BRACKET) {
          if (i - tickStart > MAX_TICK_BYTES) throw tooLarge(scan.elements);
          return 'end';
        }
      } else if (c === COMMA && depth === 0) {
        if (i - tickStart > MAX_TICK_BYTES) throw tooLarge(scan.elements);
        tickStart = i + 1;
        scan.elements += 1;
        scan.commas += 1;
        if (scan.commas === sliceTicks) return 'slice';
      }
    }
    // A tick as large as a whole scan step is refused here, long before its end.
    if (i - tickStart > MAX_TICK_BYTES) throw tooLarge(scan.elements);
    return i >= bytes.length ? 'eof' : 'more';
  } finally {
    scan.at = i;
    scan.depth = depth;
    scan.tickStart = tickStart;
  }
}

/** A body not written `{"ticks":[…]}` (at most 64 KiB) nested deeper than any valid one is refused before it is parsed. */
function refuseDeepNesting(bytes: Buffer, from: number, depthAtFrom: number): void {
  let depth = depthAtFrom;
  for (let i = from; i < bytes.length; i += 1) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      i = stringEnd(bytes, i);
      if (i < 0) return; // a string never closed: the parse names it
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > MAX_BODY_DEPTH) throw invalidBody('body', `nests deeper than ${MAX_BODY_DEPTH} levels; send {"ticks":[{ market, price, ts, scope? }, …]}`);
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) depth -= 1;
  }
}

/**
 * The offset of the quote closing the string opened at `open`, or -1: found with
 * `indexOf` (memchr), skipping quotes escaped by an odd run of backslashes, so the text of
 * a string costs no loop turn per byte.
 */
function stringEnd(bytes: Buffer, open: number): number {
  let at = bytes.indexOf(QUOTE, open + 1);
  while (at > 0) {
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
    at = bytes.indexOf(QUOTE, at + 1);
  }
  return -1;
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

/**
 * Checks bytes `[from, to)`: `count` ticks between top-level commas, the first of them
 * tick number `first`. The JSON grammar is checked on the bytes, building neither text
 * nor objects (the slice is parsed again when it is ingested); only a slice that fails,
 * or that could spell a forbidden key, is parsed here, to word the error or find the key.
 */
function checkSlice(bytes: Buffer, from: number, to: number, count: number, first: number): void {
  if (isJsonValueList(bytes, from, to, count, MAX_TICK_DEPTH) && !mayPollute(bytes.subarray(from, to))) return;
  parseSlice(bytes, from, to, count, first);
}

/** Parses and checks bytes `[from, to)`: `count` ticks between top-level commas, the first of them tick number `first`. */
function parseSlice(bytes: Buffer, from: number, to: number, count: number, first: number): void {
  parseTickSlice(arrayText(bytes, from, to), first, count);
}

/**
 * Parses and checks the JSON text of one slice of a tick batch (an array): its syntax,
 * its prototype-pollution keys, and, when `count` is given, that it holds that many
 * ticks (a count that differs is an empty element, `[1,,2]` or a trailing comma, that the
 * slice's brackets hid). `first` is the slice's first tick's number in the batch, for the
 * messages. What a cluster primary runs on each slice a worker forwards unparsed.
 * @throws HttpError 400 `invalid_json` / `invalid_body` naming the tick.
 */
export function parseTickSlice(text: string, first: number, count?: number): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError('invalid_json', 'body', `body is not valid JSON: ${(error as Error).message} (${count === undefined ? `from tick ${first} on` : `in ticks ${first}–${first + count - 1}`})`);
  }
  if (!Array.isArray(parsed)) throw invalidBody(`ticks.${first}`, `must be a slice of ticks (an array), got ${describeValue(parsed)}`);
  const slice = parsed as unknown[];
  if (count !== undefined && slice.length !== count) throw emptyTick(first + slice.length);
  if (mayPollute(text)) {
    const path = pollutionPath(slice);
    if (path !== null) {
      const dot = path.indexOf('.');
      throw invalidBody(`ticks.${first + Number(path.slice(0, dot))}${path.slice(dot)}`, 'is a forbidden key (prototype pollution)');
    }
  }
  return slice;
}

/** The 400 for an empty element of the ticks array (`[1,,2]`, a trailing comma) near tick `index`. */
export function emptyTick(index: number): HttpError {
  return new HttpError('invalid_json', 'body', `body is not valid JSON: an empty tick near tick ${index}`);
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

/**
 * The ticks in bytes `[from, to)` with the delimiter on either side (the body's `[` or a
 * comma before, a comma or `]` after), to be read as an array's brackets: a view into the
 * body, no copy (a structured-clone IPC channel copies only the view's bytes).
 */
function arrayBytes(bytes: Buffer, from: number, to: number): Uint8Array {
  return bytes.subarray(from - 1, to + 1);
}

function tooMany(maxTicks: number, count: number): HttpError {
  return new HttpError('too_many_ticks', 'ticks', `ticks must hold at most ${maxTicks} ticks per batch, got ${count}; split the batch`);
}

