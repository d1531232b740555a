import type { z } from 'zod';
import { describeValue } from '../../core/errors.js';
import { invalidBody } from './http-error.js';

/** Why a body was refused: the field at fault (a dotted path, or `body`) and the rule it breaks. */
export interface BodyFault {
  field: string;
  /** What is wrong with it, worded to follow the field's name (`must be ≥ 0, got -1`). */
  rule: string;
}

/**
 * Validates a parsed JSON body with a zod schema (no coercion: `"60"` is not 60).
 * @throws HttpError 400 naming the first field at fault, e.g. `match.league`.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const checked = checkBody(schema, body);
  if ('fault' in checked) throw invalidBody(checked.fault.field, checked.fault.rule);
  return checked.value;
}

/**
 * {@link parseBody} without throwing: the value, or the first field at fault and why
 * (for a batch, where each item's fault is part of the answer).
 */
export function checkBody<T extends z.ZodType>(schema: T, body: unknown): { value: z.output<T> } | { fault: BodyFault } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { fault: { field: 'body', rule: `must be a JSON object, got ${describeValue(body)}` } };
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { value: parsed.data };
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    return { fault: { field: fieldPath([...issue.path, issue.keys[0]!]), rule: 'is not a known field' } };
  }
  const field = issue.path.length === 0 ? 'body' : fieldPath(issue.path);
  const value = valueAt(body, issue.path);
  if (value === undefined) return { fault: { field, rule: 'is required' } };
  return { fault: { field, rule: `${issue.message}, got ${describeValue(value)}` } };
}

/** A dotted path; a key that is empty or not a plain name is quoted, so `{"": 1}` names `""`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key) => {
      if (typeof key === 'number') return String(key);
      return typeof key === 'string' && /^[A-Za-z0-9_$-]+$/.test(key) ? key : JSON.stringify(String(key));
    })
    .join('.');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
