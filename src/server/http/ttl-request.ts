import { isValidScope } from '../../clock/scope.js';
import { IMPORTANCES } from '../../policy/importance.js';
import { VIX_STATUSES } from '../../policy/vix-status.js';
import { pollutionPath } from './json-body-parser.js';
import { checkBody, type BodyFault } from './parse-body.js';
import { MAX_BASE_TTL, MAX_NAME_LENGTH, ttlRequestSchema, type TtlRequest } from './request-schemas.js';

const STATUSES: ReadonlySet<unknown> = new Set(VIX_STATUSES);
const IMPORTANCE_NAMES: ReadonlySet<unknown> = new Set(IMPORTANCES);

/**
 * Whether a parsed JSON value is a valid decision request, by hand: the rules of
 * `ttlRequestSchema` (strict keys, no coercion, the same bounds, patterns and lists)
 * written as a few comparisons, with no allocation. It may refuse a value the schema
 * accepts (never the reverse: a test holds the two to the same answers), so a refusal
 * is worded by the schema ({@link checkTtlRequest}). A value it accepts holds only the
 * known keys, whose values are numbers, strings and one flat object: no
 * prototype-pollution key can hide in it.
 */
export function isTtlRequest(value: unknown): value is TtlRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const body = value as Record<string, unknown>;
  let hasBaseTtl = false;
  for (const key in body) {
    const field = body[key];
    switch (key) {
      case 'baseTtl':
        // NaN fails both comparisons; JSON.parse gives Infinity for 1e400, which fails the second.
        if (typeof field !== 'number' || !(field >= 0 && field <= MAX_BASE_TTL)) return false;
        hasBaseTtl = true;
        break;
      case 'vixStatus':
        if (!STATUSES.has(field)) return false;
        break;
      case 'match':
        if (!isMatchContext(field)) return false;
        break;
      case 'scope':
        if (typeof field !== 'string' || !isValidScope(field)) return false;
        break;
      default:
        return false;
    }
  }
  return hasBaseTtl;
}

function isMatchContext(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const match = value as Record<string, unknown>;
  for (const key in match) {
    const field = match[key];
    switch (key) {
      case 'league':
      case 'matchType':
        if (typeof field !== 'string' || field.length > MAX_NAME_LENGTH) return false;
        break;
      case 'importance':
        if (!IMPORTANCE_NAMES.has(field)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * Checks a decision request (the body of `POST /v1/ttl`, an item of `POST /v1/ttl/batch`):
 * the valid shape by {@link isTtlRequest}, taken as is; anything else is looked through
 * for prototype-pollution keys (unless `mayPollute` is false: the JSON text it came from
 * cannot spell one), then worded by `ttlRequestSchema`, so the fault named is the one
 * the parser's scan and the schema would name (a pollution key first).
 */
export function checkTtlRequest(value: unknown, mayPollute = true): { value: TtlRequest } | { fault: BodyFault } {
  if (isTtlRequest(value)) return { value };
  const polluted = mayPollute ? pollutionPath(value) : null;
  if (polluted !== null) return { fault: { field: polluted, rule: 'is a forbidden key (prototype pollution)' } };
  return checkBody(ttlRequestSchema, value);
}
