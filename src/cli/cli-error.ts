import { VixTtlError } from '../core/errors.js';

/** A command line the CLI cannot run: shown as one line, exit code 2. */
export class CliUsageError extends VixTtlError {
  static override readonly code = 'VIX_TTL_USAGE';
  constructor(message: string) {
    super(CliUsageError.code, message);
  }
}
