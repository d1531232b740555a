import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { importsOf, testModule } from './tools.js';

/**
 * Runs the costliest test files first, so that no long file starts last and runs
 * alone on one core. Vitest's own order needs a duration from a previous run for every
 * file; on a fresh clone (no cache yet) this sequencer reads the cost from the code
 * instead: a file that starts other programs (it imports `node:child_process`,
 * directly or through a helper under `test/`) waits on them for seconds and goes
 * first, then larger files before smaller ones.
 *
 * A configured sequencer replaces Vitest's RandomSequencer, so `--sequence.shuffle`,
 * `--sequence.shuffle.files` and `--sequence.seed=N` would be ignored in silence (a
 * "shuffled" run in the usual order): they shuffle the files here, by the seed, which
 * is printed so that an order that fails can be run again.
 */
export default class CostSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seed = shuffleSeed(this.ctx);
    if (seed !== null) return shuffled(files, seed);
    const cache = this.ctx.cache;
    const root = this.ctx.config.root;
    const measured = files.every((file) => cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`) !== undefined);
    if (measured) return super.sort(files);
    const seen = new Map<string, boolean>();
    const cost = new Map(files.map((file) => [file, { startsPrograms: startsPrograms(file.moduleId, root, seen), size: statSync(file.moduleId).size }]));
    return [...files].sort((a, b) => {
      const x = cost.get(a)!;
      const y = cost.get(b)!;
      return Number(y.startsPrograms) - Number(x.startsPrograms) || y.size - x.size;
    });
  }
}

/** What of Vitest a sequencer reads to know whether files are to be shuffled. */
interface ShuffleSource {
  config: { sequence: { shuffle?: boolean | { files?: boolean; tests?: boolean } | undefined; seed?: number | undefined } };
  /** The command line's options as given (Vitest folds `shuffle.files` into the choice of its own sequencer, then drops it). */
  _cliOptions?: { sequence?: { shuffle?: boolean | { files?: boolean; tests?: boolean } } } | undefined;
}

/** The seed the files are shuffled by (`--sequence.seed`, else now, printed), or null when no shuffle of the files was asked for. */
export function shuffleSeed(ctx: object): number | null {
  const { config, _cliOptions } = ctx as ShuffleSource;
  const wanted = (shuffle: boolean | { files?: boolean } | undefined) => shuffle === true || (typeof shuffle === 'object' && shuffle.files === true);
  if (!wanted(config.sequence.shuffle) && !wanted(_cliOptions?.sequence?.shuffle)) return null;
  if (config.sequence.seed === undefined) {
    config.sequence.seed = Date.now();
    console.log(`test files shuffled with --sequence.seed=${config.sequence.seed}`);
  }
  return config.sequence.seed;
}

/** `files` in an order drawn from `seed` (Fisher–Yates on a seeded mulberry32): the same seed, the same order. */
export function shuffled<T>(files: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = [...files];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function startsPrograms(path: string, root: string, seen: Map<string, boolean>): boolean {
  const known = seen.get(path);
  if (known !== undefined) return known;
  seen.set(path, false);
  const imports = importsOf(readFileSync(path, 'utf8'));
  const starts = imports.some((specifier) => specifier === 'node:child_process' || specifier === 'child_process') || imports.some((specifier) => {
    const target = testModule(specifier, path, root);
    return target !== null && startsPrograms(target, root, seen);
  });
  seen.set(path, starts);
  return starts;
}
