/**
 * The attack's junk scope (attack/junk-ticks.mjs): one market's 111 small returns dated from
 * 2001-09-09 (3 s apart: 330 s of tick time, "warm"), 30 violent ones ("panic"), then one tick
 * at the present that brings the scope to now without moving the engine's time.
 */
export function junkScope(scope: string, now: number): unknown[] {
  const market = `junk:${scope}`;
  const ticks: unknown[] = [];
  let ts = 1_000_000_000;
  for (let i = 0; i < 111; i += 1, ts += 3000) ticks.push({ market, price: i % 2 ? 2.02 : 2, ts, scope });
  for (let i = 0; i < 30; i += 1, ts += 500) ticks.push({ market, price: i % 2 ? 4 : 2, ts, scope });
  ticks.push({ market, price: 2, ts: now - 20_000, scope });
  return ticks;
}
