import { runCli } from './main.js';

/** The process entry of the `vix-ttl` binary. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    stdin: process.stdin,
    // Progress only on a terminal: carriage return, erase the line, write.
    status: process.stderr.isTTY ? (text) => process.stderr.write(`\r\x1b[2K${text}`) : undefined,
  });
  // Long-running commands (serve) resolve only when they are done.
  process.exitCode = code;
}
