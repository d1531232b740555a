/** A time source, in ms since the epoch. */
export type TimeSource = () => number;

/**
 * A time source that runs `speed` times faster than `base` from the moment it is
 * created. The demo uses it so a panic walks through four tiers in minutes instead
 * of hours; `speed` 1 returns `base` itself.
 */
export function acceleratedTime(speed: number, base: TimeSource = Date.now): TimeSource {
  if (!Number.isFinite(speed) || speed < 1) throw new RangeError(`speed must be a finite number ≥ 1, got ${speed}`);
  if (speed === 1) return base;
  const origin = base();
  return () => origin + (base() - origin) * speed;
}
