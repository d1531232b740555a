/**
 * The cache modes a decision can be in. `NORMAL` is tier 0 (no panic); the four
 * panic modes are tiers 1–4, in the order caching comes back as a panic lasts.
 */
export const PanicMode = {
  NORMAL: 'NORMAL',
  PANIC_FULL: 'PANIC_FULL',
  PANIC_PARTIAL: 'PANIC_PARTIAL',
  DEGRADED: 'DEGRADED',
  NEW_NORMAL: 'NEW_NORMAL',
} as const;

/** One of the {@link PanicMode} string constants. */
export type PanicMode = (typeof PanicMode)[keyof typeof PanicMode];

/** Tier number of a decision: 0 without panic, 1–4 during one. */
export type Tier = 0 | 1 | 2 | 3 | 4;

/** A panic tier (1–4). */
export type PanicTier = Exclude<Tier, 0>;

/** The mode of each panic tier, tier 1 first. */
export const PANIC_TIER_MODES: readonly PanicMode[] = [
  PanicMode.PANIC_FULL,
  PanicMode.PANIC_PARTIAL,
  PanicMode.DEGRADED,
  PanicMode.NEW_NORMAL,
];

/** The mode a tier stands for. */
export function modeOfTier(tier: Tier): PanicMode {
  return tier === 0 ? PanicMode.NORMAL : PANIC_TIER_MODES[tier - 1]!;
}
