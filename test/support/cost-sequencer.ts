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
 */
export default class CostSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
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
