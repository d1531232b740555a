import { z } from 'zod';

/** Seconds a panic start lives without a new panic observation (the seed's 24 h). */
export const DEFAULT_DEAD_MAN_SWITCH_SECONDS = 86_400;

/** Fields both clocks share: the dead man's switch and the calm grace. */
export const sharedClockFields = {
  deadManSwitchSeconds: z.number().int().min(1).max(31_536_000).default(DEFAULT_DEAD_MAN_SWITCH_SECONDS),
  calmGraceSeconds: z.number().min(0).default(0),
};

/** A grace longer than the dead man's switch would make every panic look calm. */
export function refineGrace(options: { deadManSwitchSeconds: number; calmGraceSeconds: number }, ctx: z.RefinementCtx): void {
  if (options.calmGraceSeconds >= options.deadManSwitchSeconds) {
    ctx.addIssue({ code: 'custom', path: ['calmGraceSeconds'], message: `must be shorter than deadManSwitchSeconds (${options.deadManSwitchSeconds}), got ${options.calmGraceSeconds}` });
  }
}
