/**
 * A batch of ticks given a slice at a time, in order (`POST /v1/ticks` parses a big
 * body again slice by slice as it is ingested, so it never lives whole in memory).
 */
export interface TickBatch {
  /** How many ticks in all. */
  readonly count: number;
  /** The ticks, in slices; each call starts again from the first. */
  slices(): Iterable<readonly unknown[]>;
  /**
   * The same slices as the JSON text of an array each, when the batch came as text:
   * what a cluster worker forwards, so that it neither parses the ticks again nor
   * serializes them.
   */
  texts?(): Iterable<string>;
  /**
   * The same slices as UTF-8 bytes, when the batch came as bytes: each a view into the
   * body holding the slice's ticks and the delimiter on either side (a `[` or comma
   * before, a comma or `]` after), which {@link sliceText} reads as the brackets of a JSON
   * array. What a cluster worker forwards over a structured-clone IPC channel, which
   * copies a view's bytes as they are: no copy of the body, no string to escape.
   */
  bytes?(): Iterable<Uint8Array>;
}

/** A batch of ticks already in memory, given `size` at a time. */
export function batchOf(ticks: readonly unknown[], size = 500): TickBatch {
  return {
    count: ticks.length,
    *slices() {
      for (let from = 0; from < ticks.length; from += size) yield ticks.slice(from, from + size);
    },
  };
}

/** The JSON text of a slice given by {@link TickBatch.bytes}: its first and last bytes (delimiters) read as `[` and `]`. */
export function sliceText(bytes: Uint8Array): string {
  if (bytes.byteLength < 2) return '[]'.slice(0, bytes.byteLength); // not a slice: its parse fails
  return `[${Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 2).toString('utf8')}]`;
}
