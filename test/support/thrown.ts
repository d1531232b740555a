/**
 * What `action` throws, or `undefined` when it returns: a test then asserts on the
 * error itself (its class, `field`, `code`, message), which `toThrow` alone cannot
 * reach. For the construction-time refusals every options schema makes.
 */
export function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
