import { SCOPE_PATTERN } from '../clock/scope.js';
import type { BooleanFlag, NumberFlag, StringFlag } from './flag-spec.js';

/** `--json`: the command's one machine-readable shape on stdout (README, "JSON output"). */
export function jsonFlag(shape: string): BooleanFlag {
  return { type: 'boolean', meaning: `Print JSON instead of text: ${shape}. Errors stay one line on stderr.` };
}

/** `--base-ttl`: the TTL without panic, which also caps every tier's TTL. */
export const BASE_TTL_FLAG = {
  type: 'number',
  value: 'SECONDS',
  min: 0,
  default: 60,
  meaning: 'TTL without panic, seconds; it also caps every tier TTL.',
} as const satisfies NumberFlag;

/** `--redis`: the shared clock of `status` and `reset`. */
export const REDIS_FLAG = {
  type: 'string',
  value: 'URL',
  env: 'REDIS_URL',
  file: 'redis.url',
  defaultText: 'none (required from one of its sources)',
  meaning: 'Redis of the shared panic clock, redis:// or rediss://. Prefer REDIS_URL for a URL with a password (command lines are visible to other users).',
} as const satisfies StringFlag;

/** `--scope`: which panic of the shared clock. */
export const SCOPE_FLAG = {
  type: 'string',
  value: 'SCOPE',
  defaultText: 'global',
  pattern: { regex: SCOPE_PATTERN, rule: '1–64 characters of A-Z a-z 0-9 : _ . -' },
  meaning: 'Scope of the panic (a league, a match id…); without it, the global scope.',
} as const satisfies StringFlag;

/** `--key-prefix`: the clock's Redis key, as the service has it. */
export const KEY_PREFIX_FLAG = {
  type: 'string',
  value: 'PREFIX',
  file: 'redis.keyPrefix',
  default: 'brain:panic_start_ts',
  meaning: 'Redis key of the global scope; a named scope is PREFIX:SCOPE. Must match the service.',
} as const satisfies StringFlag;
