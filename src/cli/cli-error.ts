import { VixTtlError } from '../core/errors.js';

/** A command line the CLI cannot run: shown as one line, exit code 2. */
export class CliUsageError extends VixTtlError {
  static override readonly code = 'VIX_TTL_USAGE';
  constructor(message: string) {
    super(CliUsageError.code, message);
  }
}

/**
 * A config file that cannot be used (unreadable, not JSON, a value or key the
 * schema refuses): one line naming the file and the path in it, exit code 2.
 */
export class ConfigFileError extends VixTtlError {
  /** The file as given. */
  readonly file: string;
  /** Where in the file (`policy.tiers.high_stakes.ttlSeconds[2]`), or null for the file as a whole. */
  readonly field: string | null;

  constructor(file: string, field: string | null, message: string) {
    super('VIX_TTL_CONFIG_FILE', `${file}: ${field === null ? '' : `${field}: `}${message}`);
    this.file = file;
    this.field = field;
  }
}
