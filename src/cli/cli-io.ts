/** Where a command reads and writes; tests pass their own. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Standard input, which `replay -` reads. Absent: `replay -` is refused. */
  stdin?: NodeJS.ReadableStream | undefined;
  /**
   * Replaces the status line on stderr (progress of a long replay; `''` clears it).
   * Absent when stderr is not a terminal: progress is then not shown at all, so a
   * log file or a pipe never receives it.
   */
  status?: ((text: string) => void) | undefined;
}

/** A command: its flags in, an exit code out. */
export type Command = (argv: string[], io: CliIo) => Promise<number>;
