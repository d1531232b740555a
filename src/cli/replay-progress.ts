/** What the progress line reads from a replay under way. */
export interface ProgressSource {
  /** Records read so far. */
  records: () => number;
  /** Bytes read so far and the total, when the input is a file of known size. */
  bytes?: (() => { read: number; total: number }) | undefined;
}

/** How often the progress line is redrawn, ms. */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * Shows a replay's progress on the terminal's status line (records, share of the
 * file, rate), redrawn on a timer so the cost does not grow with the ticks, and
 * cleared by `stop()`. Does nothing without a status line (stderr not a terminal).
 */
export function showProgress(status: ((text: string) => void) | undefined, label: string, source: ProgressSource): { stop(): void } {
  if (status === undefined) return { stop: () => {} };
  const startedMs = Date.now();
  const render = () => {
    const records = source.records();
    const seconds = (Date.now() - startedMs) / 1000;
    const parts = [`${label}: ${records.toLocaleString('en-US')} records`];
    const bytes = source.bytes?.();
    if (bytes && bytes.total > 0) parts.push(`${Math.min(100, Math.floor((bytes.read / bytes.total) * 100))}% of ${mebibytes(bytes.total)}`);
    if (seconds >= 1) parts.push(`${Math.round(records / seconds).toLocaleString('en-US')} records/s`);
    status(parts.join(' · '));
  };
  render();
  const timer = setInterval(render, PROGRESS_INTERVAL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      status('');
    },
  };
}

function mebibytes(bytes: number): string {
  return bytes < 1_048_576 ? `${Math.max(1, Math.round(bytes / 1024))} KiB` : `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
