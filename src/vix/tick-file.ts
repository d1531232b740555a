import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
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

/**
 * Reads a tick file line by line, yielding one record per line for the engine to
 * judge: a CSV row as `{ ts, market, price, scope }` (header required, columns in any
 * order, extra columns ignored; `ts` as epoch ms or ISO-8601; an empty cell is a
 * missing field), a JSON line as parsed (a line that is not JSON is yielded as its
 * text, which the engine rejects as `malformed`). Blank lines are skipped.
 * @throws TickFileError when the file cannot be opened or a CSV header lacks a column.
 */
export async function* readTickFile(path: string, format: TickFileFormat): AsyncGenerator<unknown> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TickFileError(`cannot read ${path}: not a file`);
  } catch (error) {
    if (error instanceof TickFileError) throw error;
    throw new TickFileError(`cannot read ${path}: ${describeFsError(error)}`, { cause: error });
  }
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
  let columns: Map<string, number> | null = null;
  try {
    for await (const raw of lines) {
      const line = columns === null && format === 'csv' ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      if (format === 'jsonl') {
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
  if (format === 'csv' && columns === null) throw new TickFileError(`${path} is empty: a CSV tick file starts with the header ts,market,price,scope`);
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
