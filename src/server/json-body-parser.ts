import { HttpError, invalidBody } from './body-error.js';

/**
 * Parses a JSON request body and refuses prototype-pollution keys (`__proto__`,
 * `constructor.prototype`) anywhere in it, naming the path of the first one found.
 * @throws HttpError 400 `invalid_json` or `invalid_body`.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'body', 'body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', 'body', `body is not valid JSON: ${(error as Error).message}`);
  }
  const polluted = pollutionPath(value);
  if (polluted !== null) throw invalidBody(polluted, 'is a forbidden key (prototype pollution)');
  return value;
}

/** The dotted path of the first `__proto__` or `constructor.prototype` key, or null. Iterative, so deep nesting cannot overflow the stack. */
export function pollutionPath(root: unknown): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const childPath = path === '' ? key : `${path}.${key}`;
      if (key === '__proto__') return childPath;
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) return `${childPath}.prototype`;
      stack.push({ value: child, path: childPath });
    }
  }
  return null;
}
