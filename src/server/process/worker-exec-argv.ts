/**
 * How much a cluster worker's old generation may grow past what its last full garbage
 * collection kept before V8 starts the next one, in percent (`--heap-growing-percent`).
 *
 * Why a worker needs one: V8 counts the bytes of every `Buffer` allocated since the last
 * full collection against the old generation's limit. A worker's own heap is small
 * (~20 MB) and it allocates little JavaScript, but each tick batch passes through it as
 * Buffers (socket reads, the body, its IPC copies: a few MB a batch), so under a tick
 * flood V8's own factor (1.1–4, chosen from a heap this small) ran a full collection every
 * 1–2 s, each pausing the worker's decisions for 5–10 ms. A fixed factor of 4 spaces them
 * several times further apart; what it costs is that much more heap between collections.
 */
export const WORKER_HEAP_GROWING_PERCENT = 300;

/**
 * The Node flags a cluster worker starts with: the primary's own (`process.execArgv`),
 * and {@link WORKER_HEAP_GROWING_PERCENT} unless the primary was given a
 * `--heap-growing-percent` of its own (an operator's choice wins), in any spelling V8
 * reads: one dash or two, `-` or `_` between the words (`-heap_growing_percent=50`; V8
 * keeps the last of two, so a missed spelling of the operator's lost to ours).
 */
export function workerExecArgv(primaryExecArgv: readonly string[]): string[] {
  const own = primaryExecArgv.some((arg) => /^--?heap[-_]growing[-_]percent(=|$)/.test(arg));
  return own ? [...primaryExecArgv] : [...primaryExecArgv, `--heap-growing-percent=${WORKER_HEAP_GROWING_PERCENT}`];
}
