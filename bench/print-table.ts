import { formatTable } from '../src/cli/format-table.js';

/** Prints an aligned table to stdout (benchmarks only; the library never prints). */
export function printTable(headers: string[], rows: Array<Array<string | number | null>>): void {
  console.log(formatTable(headers, rows));
}
