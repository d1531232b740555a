/**
 * Turns values into the strings a store keeps and back. JSON by default; plug in
 * another (superjson, a schema-validating parser…) when values are not plain JSON.
 * A `deserialize` that throws marks the entry corrupt: it is then a miss, never an
 * error for the caller. Never use a serializer that evaluates code.
 */
export interface CacheSerializer {
  serialize(value: unknown): string;
  deserialize(text: string): unknown;
}

/**
 * The default {@link CacheSerializer}: `JSON.stringify` / `JSON.parse`. A value
 * JSON cannot represent (`undefined`, a BigInt, a cycle) is returned to the caller
 * but not cached.
 */
export const jsonSerializer: CacheSerializer = Object.freeze({
  serialize: (value: unknown): string => JSON.stringify(value),
  deserialize: (text: string): unknown => JSON.parse(text),
});
