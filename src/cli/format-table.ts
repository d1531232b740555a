/** Renders rows as an aligned text table with a header line. */
export function formatTable(headers: string[], rows: Array<Array<string | number | null>>): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null ? '—' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Minutes as a short human duration: 45 → "45 min", 90 → "1 h 30 min". */
export function formatMinutes(minutes: number | null): string {
  if (minutes === null) return '—';
  const rounded = Math.round(minutes * 10) / 10;
  if (rounded < 60) return `${rounded} min`;
  const hours = Math.floor(rounded / 60);
  const rest = Math.round(rounded - hours * 60);
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
