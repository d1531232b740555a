import { z } from 'zod';

/** A JSON Schema object, as Fastify's serializer compiler takes it. */
export type SerializationSchema = { [key: string]: unknown };

/**
 * The JSON Schema (draft-07) Fastify compiles a route's answer serializer from
 * (fast-json-stringify: the fields written in a fixed order, no `JSON.stringify` walk),
 * derived from the zod schema the OpenAPI document shows for that answer, so the two
 * cannot part ways. Shaped for the serializer, not for validation: descriptions are
 * dropped, and a nullable value (`anyOf: [{ type: X }, { type: 'null' }]`, which the
 * serializer would settle by validating each branch at run time) becomes
 * `type: [X, 'null']`. Only schemas that name every field and its type are accepted.
 * @throws Error for a schema the serializer could not write exactly as `JSON.stringify`
 * (a union of objects, a record, a field of no type).
 */
export function serializationSchema(schema: z.ZodType): SerializationSchema {
  const { $schema: _schema, ...json } = z.toJSONSchema(schema, { target: 'draft-07', unrepresentable: 'throw' }) as SerializationSchema;
  return simplify(json, '');
}

function simplify(node: SerializationSchema, path: string): SerializationSchema {
  const { description: _description, anyOf, properties, items, ...rest } = node;
  if (Array.isArray(anyOf)) return nullable(anyOf as SerializationSchema[], path);
  if (rest.type === undefined) throw new Error(`serializationSchema: ${path || 'the schema'} has no type`);
  if (rest.type === 'object' && (properties === undefined || rest.additionalProperties !== false)) throw new Error(`serializationSchema: ${path || 'the schema'} must be an object with known fields`);
  const out: SerializationSchema = { ...rest };
  if (properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(properties as Record<string, SerializationSchema>).map(([key, value]) => [key, simplify(value, path ? `${path}.${key}` : key)]));
  }
  if (items !== undefined) out.items = simplify(items as SerializationSchema, `${path}[]`);
  return out;
}

function nullable(branches: SerializationSchema[], path: string): SerializationSchema {
  const value = branches.filter((branch) => branch.type !== 'null');
  const only = value[0];
  if (branches.length !== 2 || value.length !== 1 || only === undefined || typeof only.type !== 'string' || only.type === 'object' || only.type === 'array') {
    throw new Error(`serializationSchema: ${path || 'the schema'} is a union; only a scalar or null is supported`);
  }
  const { description: _description, ...scalar } = only;
  return { ...scalar, type: [only.type, 'null'] };
}
