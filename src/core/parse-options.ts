import { z } from 'zod';
import { InvalidConfigError } from './errors.js';

/** Parses options with a schema, or throws an InvalidConfigError naming the field. */
export function parseOptions<T extends z.ZodType>(schema: T, options: unknown, root: string): z.output<T> {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) throw configErrorFrom(parsed.error, root);
  return Object.freeze(parsed.data) as z.output<T>;
}

/** Turns the first zod issue into an {@link InvalidConfigError} naming its path. */
export function configErrorFrom(error: z.ZodError, root: string): InvalidConfigError {
  const issue = error.issues[0]!;
  const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    return new InvalidConfigError(path, `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`);
  }
  return new InvalidConfigError(path, issue.message);
}

/**
 * The zod field of a component's `hooks` option: an object, or absent. Which names
 * it may hold, and that each is a function, is checked when the hooks are
 * subscribed (`subscribeHooks`, core/event.ts), against the component's events.
 */
export function hooksOption<H extends object>() {
  return z.custom<H>((v) => v === undefined || (typeof v === 'object' && v !== null), { message: 'must be an object of hook functions' }).optional();
}
