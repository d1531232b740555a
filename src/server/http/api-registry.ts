import { z } from 'zod';

/**
 * The named zod schemas of the HTTP API: request bodies, responses and the parts they
 * share. The OpenAPI document's `components.schemas` is generated from exactly this
 * registry, so a schema that validates a request or describes a response is named
 * once (with {@link apiSchema}) and referenced by that name everywhere it appears.
 */
export const apiSchemas = z.registry<{ id: string }>();

/**
 * Names a schema of the HTTP API: `id` becomes its name under `components.schemas` (and
 * the name of the model a client generator writes, so choose it as a type name), and
 * `description` its documentation. Returns the schema to use in validation and in
 * other schemas, which then refer to it by name.
 */
export function apiSchema<T extends z.ZodType>(id: string, description: string, schema: T): T {
  const described = schema.meta({ description }) as T;
  apiSchemas.add(described as z.ZodType, { id });
  return described;
}
