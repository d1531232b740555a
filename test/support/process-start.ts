import { readFileSync } from 'node:fs';

/**
 * When process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or
 * undefined when there is no such process or no /proc (not Linux). A pid alone does not
 * name a process for long: once it exits, the kernel gives its number to the next process
 * it starts; the pid and this start time together do.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2, in parentheses) may hold spaces and parentheses: count the fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[22 - 3];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/**
 * Whether the process `pid` that started at `startTime` (as {@link processStartTime} read it)
 * still runs: its pid is in use (by anyone: EPERM is alive too) and, where the start time is
 * known on both sides, by a process that started then, not a later one given the same number.
 * A zombie (exited, not yet reaped) does not run.
 */
export function processRuns(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true; // no /proc: the pid is all there is to go by
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return startTime === undefined || fields[22 - 3] === startTime;
}
