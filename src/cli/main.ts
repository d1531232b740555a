import { InvalidConfigError, InvalidInputError, VixTtlError } from '../core/errors.js';
import { redactUrlsIn } from '../core/redact-url.js';
import { ConfigFileError, CliUsageError } from './cli-error.js';
import type { CliIo, Command } from './cli-io.js';
import { commandHelp, usageLine } from './command-help.js';
import { decideCommand, DECIDE_SPEC } from './commands/decide.js';
import { planCommand, PLAN_SPEC } from './commands/plan.js';
import { replayCommand, REPLAY_SPEC } from './commands/replay.js';
import { resetCommand, RESET_SPEC } from './commands/reset.js';
import { serveCommand, SERVE_SPEC } from './commands/serve.js';
import { statusCommand, STATUS_SPEC } from './commands/status.js';
import type { CommandSpec } from './flag-spec.js';
import { PACKAGE_VERSION } from './package-version.js';
import { printable } from './parse-flags.js';
import { redisUrlsOf, withoutSecrets } from './redis-connection.js';

/** Every command: its spec (flags, help) and what runs it. */
export const COMMANDS: Readonly<Record<string, { spec: CommandSpec; run: Command }>> = {
  plan: { spec: PLAN_SPEC, run: planCommand },
  decide: { spec: DECIDE_SPEC, run: decideCommand },
  status: { spec: STATUS_SPEC, run: statusCommand },
  reset: { spec: RESET_SPEC, run: resetCommand },
  serve: { spec: SERVE_SPEC, run: serveCommand },
  replay: { spec: REPLAY_SPEC, run: replayCommand },
};

/** `vix-ttl help`: the commands, how to get a command's help, the environment. */
export const HELP = `vix-ttl ${PACKAGE_VERSION} — cache TTLs that follow a market panic

Usage:
${Object.values(COMMANDS)
  .map(({ spec }) => `  ${usageLine(spec)}\n      ${spec.summary}`)
  .join('\n')}

  vix-ttl help <command>     every flag of a command, its meaning, default and allowed values (also <command> --help)
  vix-ttl --version          the installed version

Environment: REDIS_URL, PORT, HOST, LOG_LEVEL, VIX_TTL_CONFIG, VIX_TTL_ADMIN_TOKEN, VIX_TTL_API_TOKEN, VIX_TTL_METRICS_TOKEN
Precedence: flags > environment > config file (--config, VIX_TTL_CONFIG) > defaults.`;

/**
 * Runs one command line and returns the exit code: 0 done, 1 failed (a store
 * unreachable…), 2 bad usage or a bad config file. Errors are one line, never a
 * stack trace, and never show a secret of the command line's Redis URL nor a
 * URL's credentials.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    if (rest.length > 0) return usage(io, `vix-ttl ${name} takes no argument`);
    io.out(PACKAGE_VERSION);
    return 0;
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    if (rest.length === 0) {
      io.out(HELP);
      return name === undefined ? 2 : 0;
    }
    const entry = commandNamed(rest[0]!);
    if (!entry) return usage(io, unknownCommand(rest[0]!));
    if (rest.length > 1) return usage(io, `vix-ttl help takes one command, got ${rest.length}`);
    io.out(commandHelp(entry.spec));
    return 0;
  }
  const entry = commandNamed(name);
  if (!entry) return usage(io, unknownCommand(name));
  try {
    return await entry.run(rest, io);
  } catch (error) {
    const usageError = error instanceof CliUsageError || error instanceof ConfigFileError || error instanceof InvalidInputError || error instanceof InvalidConfigError;
    const message = error instanceof VixTtlError || error instanceof Error ? error.message : String(error);
    io.err(`vix-ttl ${name}: ${printable(withoutSecrets(redactUrlsIn(message.split('\n')[0]!), redisUrlsOf(rest, io.env)))}`);
    return usageError ? 2 : 1;
  }
}

function commandNamed(name: string): { spec: CommandSpec; run: Command } | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

function unknownCommand(name: string): string {
  return `unknown command "${printable(redactUrlsIn(name.length > 60 ? `${name.slice(0, 57)}...` : name))}" (try: ${Object.keys(COMMANDS).join(', ')}, or vix-ttl help)`;
}

function usage(io: CliIo, message: string): number {
  io.err(`vix-ttl: ${message}`);
  return 2;
}
