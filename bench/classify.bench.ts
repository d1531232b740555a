// npx tsx bench/classify.bench.ts — what a classification costs when the memo does not
// have the name (a name never seen before): the lookup of the name as written (the
// baseline, what classification did before editions and affixes were ignored) against
// the lookup through its variants, in alternating rounds, for three kinds of names.
// The memoised path (a name seen before) is unchanged: one LRU get.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolvePanicPolicy } from '../src/policy/policy-config.js';
import { nameVariants } from '../src/policy/name-variants.js';
import { normalizeName } from '../src/policy/normalize-name.js';
import { printTable } from './print-table.js';

const ROUNDS = 9;
const PASSES = 2_000;
const policy = resolvePanicPolicy();

const KINDS: Record<string, string[]> = {
  'listed as written': ['Ligue 1', 'Premier League', 'UEFA Champions League', 'Coupe du Monde', 'Ligue 2', 'Serie A', 'Bundesliga', 'Copa América'],
  'with edition and sponsor': ['UEFA EURO 2024', 'Ligue 1 McDonald’s 2024/25', 'EFL Sky Bet Championship 2024/25', 'FIFA World Cup 26™', 'Barclays Premier League', "Ligue des champions de l'UEFA 2024/2025", 'Ligue 2 BKT', 'CONMEBOL Copa América 2024'],
  'unknown (every variant tried)': ['Sunday League of Nowhere', 'Coupe de France 2024/25', 'Trendyol Süper Lig', 'Emirates FA Cup', 'Scottish Premiership', 'UEFA Youth League', 'Eredivisie Vrouwen', 'Liga MX Apertura'],
};

function asWritten(names: string[]): number {
  let found = 0;
  for (const name of names) if (policy.leagues.get(normalizeName(name)) !== undefined) found += 1;
  return found;
}

function throughVariants(names: string[]): number {
  let found = 0;
  for (const name of names) {
    for (const variant of nameVariants(name, policy.ignoredAffixes)) {
      if (policy.leagues.get(variant) !== undefined) {
        found += 1;
        break;
      }
    }
  }
  return found;
}

/** Names per second of one pass set. */
function rate(names: string[], lookup: (names: string[]) => number): number {
  const started = performance.now();
  for (let i = 0; i < PASSES; i += 1) lookup(names);
  return (PASSES * names.length) / ((performance.now() - started) / 1000);
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
};

const load = loadavg()[0]!;
const rows: Array<Record<string, unknown>> = [];
for (const [kind, names] of Object.entries(KINDS)) {
  rate(names, asWritten);
  rate(names, throughVariants); // warm-up
  const base: number[] = [];
  const variants: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const b = rate(names, asWritten);
    const v = rate(names, throughVariants);
    base.push(b);
    variants.push(v);
    ratios.push(b / v);
  }
  rows.push({ kind, found: `${asWritten(names)} → ${throughVariants(names)} of ${names.length}`, asWritten: stats(base), variants: stats(variants), costRatio: stats(ratios) });
}

const k = (n: number) => `${Math.round(n / 1000).toLocaleString('en-US')} k`;
console.log(`\nUncached classification, names/s; ${ROUNDS} alternating rounds; Node ${process.version}; load average ${load.toFixed(2)}\n`);
printTable(
  ['names', 'found (as written → variants)', 'as written (median)', 'variants (median)', 'cost ratio min / median / max'],
  rows.map((r) => {
    const a = r.asWritten as ReturnType<typeof stats>;
    const v = r.variants as ReturnType<typeof stats>;
    const c = r.costRatio as ReturnType<typeof stats>;
    return [r.kind as string, r.found as string, k(a.median), k(v.median), `${c.min.toFixed(2)}× / ${c.median.toFixed(2)}× / ${c.max.toFixed(2)}×`];
  }),
);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/classify.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage1m: load, rounds: ROUNDS, rows }, null, 2)}\n`);
