import { z } from 'zod';

/**
 * The log methods a vix-ttl component uses; a pino logger fits. A library never
 * prints: it logs only through a logger it is given.
 */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  isLevelEnabled?(level: string): boolean;
}

const nothing = (): void => undefined;

/** A logger that writes nothing: the default of every component given none. */
export const SILENT_LOGGER: Logger = Object.freeze({ info: nothing, warn: nothing, debug: nothing, isLevelEnabled: () => false });

/** The zod field of a component's `logger` option: absent, or an object with info, warn and debug methods. */
export function loggerOption() {
  return z
    .custom<Logger>((v) => v === undefined || (typeof v === 'object' && v !== null && ['info', 'warn', 'debug'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function')), {
      message: 'must have info, warn and debug methods (a pino logger fits)',
    })
    .optional();
}
