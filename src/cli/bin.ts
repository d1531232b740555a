import { runCli } from './main.js';

/** The process entry of the `vix-ttl` binary. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
  });
  // Long-running commands (serve) resolve only when they are done.
  process.exitCode = code;
}
