import { VixTtlError } from '../core/errors.js';

/** A command line the CLI cannot run: shown as one line, exit code 2. */
export class CliUsageError extends VixTtlError {
  constructor(message: string) {
    super('VIX_TTL_USAGE', message);
  }
}
