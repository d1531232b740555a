import { InvalidConfigError, InvalidInputError, VixTtlError } from '../core/errors.js';
import { redactUrlsIn } from '../core/redact-url.js';
import { CliUsageError } from './cli-error.js';
import type { CliIo, Command } from './cli-io.js';
import { decideCommand, DECIDE_HELP } from './commands/decide.js';
import { planCommand, PLAN_HELP } from './commands/plan.js';
import { replayCommand, REPLAY_HELP } from './commands/replay.js';
import { resetCommand, RESET_HELP } from './commands/reset.js';
import { serveCommand, SERVE_HELP } from './commands/serve.js';
import { statusCommand, STATUS_HELP } from './commands/status.js';
import { redisUrlsOf, withoutSecrets } from './redis-connection.js';

const COMMANDS: Record<string, Command> = {
  plan: planCommand,
  decide: decideCommand,
  status: statusCommand,
  reset: resetCommand,
  replay: replayCommand,
  serve: serveCommand,
};

export const HELP = `vix-ttl — cache TTLs that follow a market panic

Usage:
${[PLAN_HELP, DECIDE_HELP, STATUS_HELP, RESET_HELP, SERVE_HELP, REPLAY_HELP].map((h) => `  ${h.replace(/\n/g, '\n  ')}`).join('\n')}

Environment: REDIS_URL, PORT, LOG_LEVEL, VIX_TTL_ADMIN_TOKEN, VIX_TTL_API_TOKEN, VIX_TTL_METRICS_TOKEN`;

/** Registers another command (the service adds `serve`). */
export function registerCommand(name: string, command: Command): void {
  COMMANDS[name] = command;
}

/**
 * Runs one command line and returns the exit code: 0 done, 1 failed (a store
 * unreachable…), 2 bad usage. Errors are one line, never a stack trace, and never
 * show a secret of the command line's Redis URL nor a URL's credentials.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`vix-ttl: unknown command "${redactUrlsIn(name)}" (try: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    const usage = error instanceof CliUsageError || error instanceof InvalidInputError || error instanceof InvalidConfigError;
    const message = error instanceof VixTtlError || error instanceof Error ? error.message : String(error);
    io.err(`vix-ttl ${name}: ${withoutSecrets(redactUrlsIn(message.split('\n')[0]!), redisUrlsOf(rest, io.env))}`);
    return usage ? 2 : 1;
  }
}
