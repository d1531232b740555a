/** Where a command writes; tests pass their own. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** A command: its flags in, an exit code out. */
export type Command = (argv: string[], io: CliIo) => Promise<number>;
