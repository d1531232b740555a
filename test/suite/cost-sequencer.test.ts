import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TestSpecification } from 'vitest/node';
import CostSequencer from '../support/cost-sequencer.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = ['test/cli/cli.test.ts', 'test/core/event.test.ts', 'test/policy/competition-names.test.ts', 'test/suite/tool-needs.test.ts', 'test/server/serve-command.test.ts', 'test/vix/vix-engine.test.ts', 'test/breaker/sync-loop.test.ts', 'test/clock/memory-panic-clock.test.ts'];

/** The order the sequencer gives FILES, with the command line's `sequence` options and no cached durations (a fresh clone). */
async function order(cliSequence: Record<string, unknown>): Promise<string[]> {
  const sequence = { ...cliSequence, shuffle: typeof cliSequence.shuffle === 'object' ? undefined : cliSequence.shuffle };
  const ctx = { config: { root: ROOT, sequence }, _cliOptions: { sequence: cliSequence }, cache: { getFileTestResults: () => undefined } };
  const specs = FILES.map((file) => ({ moduleId: `${ROOT}${file}`, project: { name: 'unit' } }) as unknown as TestSpecification);
  const sorted = await new CostSequencer(ctx as never).sort(specs);
  return sorted.map((spec) => spec.moduleId.slice(ROOT.length));
}

describe('CostSequencer', () => {
  it('--sequence.shuffle.files --sequence.seed=N shuffles the files by the seed (a configured sequencer replaces Vitest’s own shuffle)', async () => {
    const costOrder = await order({});
    const seeded = await Promise.all([1, 2, 3, 4].map((seed) => order({ shuffle: { files: true }, seed })));
    for (const run of seeded) expect([...run].sort()).toEqual([...FILES].sort());
    expect(new Set(seeded.map((run) => run.join()))).not.toEqual(new Set([costOrder.join()]));
    expect(new Set(seeded.map((run) => run.join())).size).toBeGreaterThan(1);
    expect(await order({ shuffle: { files: true }, seed: 2 })).toEqual(seeded[1]);
    expect(await order({ shuffle: true, seed: 3 })).toEqual(seeded[2]);
  });

  it('without a shuffle, files that start programs come first, then the larger ones', async () => {
    const costOrder = await order({ seed: 5 });
    expect(costOrder.indexOf('test/server/serve-command.test.ts')).toBeLessThan(costOrder.indexOf('test/policy/competition-names.test.ts'));
    expect(await order({})).toEqual(costOrder);
  });
});
