/**
 * Tries `attempt` until `settled` says its result is the one wanted, 20 ms apart, for up to
 * `timeoutMs` (30 s): for the setup before a test's subject (a panic stored, a script loaded),
 * where a decision that fails safe on a slow moment of a loaded machine is not the subject.
 * A tight loop would spend a hundred tries in a moment when each is refused at once (a
 * `store_busy` while an earlier answer is still out). Resolves with the last result;
 * the test then asserts on it.
 */
export async function untilSettled<T>(attempt: () => Promise<T>, settled: (result: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let result = await attempt();
  while (!settled(result) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    result = await attempt();
  }
  return result;
}

/** {@link untilSettled} for a decision: until it does not fail safe. */
export function untilDecided<T extends { failSafe: boolean }>(decide: () => Promise<T>, timeoutMs?: number): Promise<T> {
  return untilSettled(decide, (decision) => !decision.failSafe, timeoutMs);
}
