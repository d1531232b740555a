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
   * The same slices as the UTF-8 bytes of a JSON array each (a copy per slice), when the
   * batch came as bytes: what a cluster worker forwards over a structured-clone IPC
   * channel, which copies bytes as they are instead of escaping a string.
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
