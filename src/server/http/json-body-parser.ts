import { HttpError, invalidBody } from './http-error.js';

/**
 * A body without these can hold neither forbidden key: JSON spells `_`, `c` and `p` either
 * as is or as a `\u` escape, and `constructor.prototype` needs both words (a market named
 * "prototype" alone does not turn the walk on).
 */
const EITHER_ALONE = ['__proto__', '\\u'];
const BOTH_TOGETHER = ['constructor', 'prototype'];

/**
 * Parses a JSON request body and refuses prototype-pollution keys (`__proto__`,
 * `constructor.prototype`) anywhere in it, naming the path of the first one found.
 * The walk over every key is skipped when the text cannot spell either key, so a
 * 10,000-tick batch costs about one `JSON.parse`.
 * @throws HttpError 400 `invalid_json` or `invalid_body`.
 */
export function parseJsonBody(text: string): unknown {
  const value = parseJsonText(text);
  const polluted = mayPollute(text) ? pollutionPath(value) : null;
  if (polluted !== null) throw pollutionError(polluted);
  return value;
}

/**
 * Parses a JSON request body without looking for prototype-pollution keys: for a route
 * whose body check proves that a body it accepts holds none (it knows every key) and
 * looks for them, with {@link pollutionPath}, before wording why it refuses one.
 * @throws HttpError 400 `invalid_json`.
 */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '') throw new HttpError('invalid_json', 'body', 'body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError('invalid_json', 'body', `body is not valid JSON: ${(error as Error).message}`);
  }
}

const [QUOTE, BACKSLASH, OPEN_BRACKET, OPEN_BRACE, CLOSE_BRACKET, CLOSE_BRACE] = ['"', '\\', '[', '{', ']', '}'].map((c) => c.charCodeAt(0)) as [number, number, number, number, number, number];

/**
 * Whether a JSON text nests arrays and objects more than `limit` levels deep, by one pass
 * over its characters (strings skipped). `JSON.parse` spends far more per byte on deep
 * nesting than on anything else (a 760 KiB body of nested arrays: 40–180 ms here, several
 * times a flat body of the same size), so a route that takes big bodies of a known shallow
 * shape refuses deeper ones before parsing them.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i += 1; i < text.length; i += 1) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i += 1;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

/** The 400 for a prototype-pollution key at `path`. */
export function pollutionError(path: string): HttpError {
  return invalidBody(path, 'is a forbidden key (prototype pollution)');
}

/**
 * Whether a JSON text, or its UTF-8 bytes (read without decoding: the words and `\\u` are
 * ASCII, which UTF-8 never hides inside another character), can hold a prototype-pollution
 * key at all (else the walk over its keys is skipped).
 */
export function mayPollute(json: string | Buffer): boolean {
  return EITHER_ALONE.some((word) => json.includes(word)) || BOTH_TOGETHER.every((word) => json.includes(word));
}

/**
 * The dotted path of the first `__proto__` or `constructor.prototype` key, or null.
 * Iterative, so deep nesting cannot overflow the stack; an array is walked by index
 * (its keys are indexes: no key list is built for it, which matters for a hostile body
 * of nested arrays).
 */
export function pollutionPath(root: unknown): string | null {
  // Paths are built only for the key found: a node keeps its parent and its key.
  interface Node {
    value: object;
    parent: Node | null;
    key: string | number;
  }
  const pathOf = (node: Node, key: string): string => {
    const keys = [key];
    for (let n: Node | null = node; n !== null && n.parent !== null; n = n.parent) keys.push(String(n.key));
    return keys.reverse().join('.');
  };
  if (typeof root !== 'object' || root === null) return null;
  const stack: Node[] = [{ value: root, parent: null, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) {
        const child: unknown = value[index];
        if (typeof child === 'object' && child !== null) stack.push({ value: child, parent: node, key: index });
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      if (key === '__proto__') return pathOf(node, key);
      if (typeof child !== 'object' || child === null) continue;
      if (key === 'constructor' && Object.hasOwn(child, 'prototype')) return `${pathOf(node, key)}.prototype`;
      stack.push({ value: child, parent: node, key });
    }
  }
  return null;
}
