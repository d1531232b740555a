import { relative } from 'node:path';
import type { Reporter, SerializedError, TestModule, TestSuite } from 'vitest/node';

/** What one run counted: tests by result, and every failure that is not a test's own. */
export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Failures outside a test body: hooks (beforeAll/afterAll at any level), files that failed to import or collect, unhandled errors. */
  outside: string[];
}

/**
 * Counts a finished run. A failed test counts once; a suite or file whose hook or
 * collection failed counts once more (its tests that never ran stay skipped); a
 * file that failed without any error Vitest attached counts once; each unhandled
 * error counts once.
 */
export function summarize(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, root = process.cwd()): RunSummary {
  const summary: RunSummary = { passed: 0, failed: 0, skipped: 0, outside: [] };
  const outside = (where: string, errors: ReadonlyArray<SerializedError>) => {
    summary.failed += 1;
    summary.outside.push(`${where}: ${errors.map((e) => firstLine(e.message)).join('; ') || 'failed'}`);
  };
  for (const module of modules) {
    const file = relative(root, module.moduleId);
    let failedTests = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') summary.passed += 1;
      else if (state === 'failed') failedTests += 1;
      else summary.skipped += 1;
    }
    summary.failed += failedTests;
    const suitesWithErrors = [...module.children.allSuites()].filter((suite) => suite.errors().length > 0);
    if (module.errors().length > 0) outside(file, module.errors());
    for (const suite of suitesWithErrors) outside(`${file} > ${suiteName(suite)}`, suite.errors());
    if (module.state() === 'failed' && failedTests === 0 && module.errors().length === 0 && suitesWithErrors.length === 0) outside(file, []);
  }
  for (const error of unhandledErrors) {
    summary.failed += 1;
    summary.outside.push(`unhandled error: ${firstLine(error instanceof Error || isSerialized(error) ? error.message : String(error))}`);
  }
  return summary;
}

/** The closing line CI reads: `N passed, N failed[, N skipped]`. */
export function summaryLine(summary: RunSummary): string {
  return `${summary.passed} passed, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped` : ''}`;
}

/**
 * Ends the run with one plain line, `N passed, N failed`, that CI reads, and makes
 * the exit code agree with it: any failure (a test, a hook, a file, an unhandled
 * error) exits 1, and a run that exits non-zero for a reason outside the tests
 * (a global setup, coverage thresholds) says so and counts one failure.
 */
export default class SummaryReporter implements Reporter {
  #summary: RunSummary | null = null;

  onInit(): void {
    // Printed at exit so that it is the very last line, after Vitest's own summary and
    // whatever fails after the tests (coverage thresholds, teardown).
    process.once('exit', (code) => this.#close(code));
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    this.#summary = summarize(modules, unhandledErrors);
    if (this.#summary.failed > 0) process.exitCode = 1;
  }

  #close(code: number): void {
    const exitCode = Number(process.exitCode ?? code) || 0;
    const summary = this.#summary ?? { passed: 0, failed: 0, skipped: 0, outside: [] };
    if (summary.failed > 0 && exitCode === 0) process.exitCode = 1;
    if (summary.failed === 0 && exitCode !== 0) {
      summary.failed = 1;
      summary.outside.push(this.#summary ? `the run exited with code ${exitCode} after its tests (see above)` : `the run stopped before its tests (exit code ${exitCode}; see above)`);
    }
    const lines = summary.outside.length > 0 ? ['', 'Failed outside a test body:', ...summary.outside.map((line) => `  ✗ ${line}`)] : [];
    process.stdout.write(`${[...lines, '', summaryLine(summary)].join('\n')}\n`);
  }
}

function suiteName(suite: TestSuite): string {
  return suite.fullName;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]!.slice(0, 200);
}

function isSerialized(error: unknown): error is SerializedError {
  return typeof error === 'object' && error !== null && typeof (error as SerializedError).message === 'string';
}
