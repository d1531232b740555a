import type { StringFlag } from './flag-spec.js';

/** The variable naming the config file when `--config` is not given. */
export const CONFIG_ENV = 'VIX_TTL_CONFIG';

/** The `--config FILE` flag of a command that reads `sections` of the config file (the others are checked, not used). */
export function configFlag(sections: string): StringFlag {
  return {
    type: 'string',
    value: 'FILE',
    env: CONFIG_ENV,
    defaultText: 'none',
    meaning: `JSON config file (README, "Configuration file"); this command uses ${sections} of it. Flags and variables win over the file.`,
  };
}
