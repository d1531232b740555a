import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Transform, type TransformCallback } from 'node:stream';
import { VixTtlError } from '../core/errors.js';
import { tickTimeFromText } from './tick-time.js';

/** A tick file that cannot be read at all (missing, unreadable, no usable CSV header). */
export class TickFileError extends VixTtlError {
  static override readonly code = 'VIX_TTL_TICK_FILE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(TickFileError.code, message, options);
  }
}

/** The formats `vix-ttl replay` reads, by file extension. */
export type TickFileFormat = 'csv' | 'jsonl';

/** The format of a tick file from its extension (`.csv`, `.jsonl`, `.ndjson`), or null. */
export function tickFileFormat(path: string): TickFileFormat | null {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return null;
}

const REQUIRED_COLUMNS = ['ts', 'market', 'price'] as const;

/** The longest line read whole; a longer one (a feed without line breaks, `/dev/zero`) becomes one bad record. */
export const MAX_LINE_BYTES = 65_536;

/**
 * Passes lines through, but cuts a line longer than `max` bytes down to a short
 * `"line over N bytes"` (a record the engine rejects) and drops the rest of it up to
 * its line break, so the line reader after it never holds more than `max` bytes.
 */
class BoundedLines extends Transform {
  readonly #max: number;
  #length = 0;
  #dropping = false;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    let passFrom = 0; // bytes from here on pass through in one piece
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      if (this.#dropping) {
        passFrom = end;
        if (newline !== -1) this.#dropping = false;
      } else if (this.#length + (end - start) > this.#max + 1) {
        if (start > passFrom) this.push(chunk.subarray(passFrom, start));
        this.push(`"line over ${this.#max} bytes"\n`);
        passFrom = end;
        this.#dropping = newline === -1;
      }
      this.#length = newline === -1 ? this.#length + (end - start) : 0;
      start = end;
    }
    if (passFrom < chunk.length) this.push(passFrom === 0 ? chunk : chunk.subarray(passFrom));
    done();
  }
}

/**
 * Reads a tick file line by line, yielding one record per line for the engine to
 * judge: a CSV row as `{ ts, market, price, scope }` (header required, columns in any
 * order, extra columns ignored; `ts` as epoch ms or ISO-8601; an empty cell is a
 * missing field), a JSON line as parsed (a line that is not JSON is yielded as its
 * text, which the engine rejects as `malformed`). Blank lines are skipped.
 * @throws TickFileError when the file cannot be opened or a CSV header lacks a column.
 */
export async function* readTickFile(path: string, format: TickFileFormat): AsyncGenerator<unknown> {
  yield* readTicks(await openTickFile(path), format, path);
}

/**
 * Opens a tick file for {@link readTicks}, failing with a one-line reason when it
 * is missing, unreadable or not a regular file.
 * @throws TickFileError
 */
export async function openTickFile(path: string): Promise<ReadStream & { size: number }> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TickFileError(`cannot read ${path}: not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof TickFileError) throw error;
    throw new TickFileError(`cannot read ${path}: ${describeFsError(error)}`, { cause: error });
  }
  return Object.assign(createReadStream(path), { size });
}

/**
 * Reads ticks from a stream (a file, standard input) line by line, as
 * {@link readTickFile} does, holding one line at a time. With `format` `'auto'` the
 * first line that is not blank decides: one starting with `{` is JSON lines,
 * anything else a CSV header; `onFormat` is told which.
 * @param name what the stream is, for error messages (a path, `standard input`).
 * @throws TickFileError when the stream fails or a CSV header lacks a column.
 */
export async function* readTicks(input: NodeJS.ReadableStream, format: TickFileFormat | 'auto', name: string, onFormat?: (format: TickFileFormat) => void): AsyncGenerator<unknown> {
  const bounded = new BoundedLines(MAX_LINE_BYTES);
  input.on('error', (error) => bounded.destroy(error));
  const lines = createInterface({ input: input.pipe(bounded), crlfDelay: Number.POSITIVE_INFINITY });
  const path = name;
  let columns: Map<string, number> | null = null;
  let decided: TickFileFormat | null = format === 'auto' ? null : format;
  if (decided !== null) onFormat?.(decided);
  try {
    for await (const raw of lines) {
      const line = columns === null && decided !== 'jsonl' ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      if (decided === null) {
        decided = line.trimStart().startsWith('{') ? 'jsonl' : 'csv';
        onFormat?.(decided);
      }
      if (decided === 'jsonl') {
        yield parseJsonLine(line);
        continue;
      }
      if (columns === null) {
        columns = csvHeader(path, line);
        continue;
      }
      yield csvRecord(splitCsvLine(line), columns);
    }
  } catch (error) {
    if (error instanceof TickFileError) throw error;
    throw new TickFileError(`cannot read ${path}: ${describeFsError(error)}`, { cause: error });
  } finally {
    lines.close();
  }
  if (decided === 'csv' && columns === null) throw new TickFileError(`${path} is empty: a CSV tick file starts with the header ts,market,price,scope`);
}

function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
}

function csvHeader(path: string, line: string): Map<string, number> {
  const names = splitCsvLine(line).map((name) => name.trim().toLowerCase());
  const columns = new Map(names.map((name, i) => [name, i]));
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.has(name));
  if (missing.length > 0) {
    throw new TickFileError(`${path}: the CSV header must name the columns ts, market, price (and optionally scope); missing ${missing.join(', ')} in "${line.slice(0, 80)}"`);
  }
  return columns;
}

function csvRecord(cells: string[], columns: Map<string, number>): Record<string, unknown> {
  const cell = (name: string): string | undefined => {
    const at = columns.get(name);
    const value = at === undefined ? undefined : cells[at];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const ts = cell('ts');
  const price = cell('price');
  return {
    ts: ts === undefined ? undefined : tickTimeFromText(ts),
    market: cell('market'),
    price: price === undefined ? undefined : Number(price),
    scope: cell('scope'),
  };
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside a field). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'not a file';
  return (error as Error)?.message?.split('\n')[0] ?? String(error);
}
