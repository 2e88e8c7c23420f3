/**
 * A few builders for the JSON schemas of the API's answers. The same objects serve Fastify (which
 * serializes every answer through them, dropping what they do not name) and the OpenAPI
 * description built from the routes, so the description cannot drift from what is sent.
 */

export type Schema = Record<string, unknown>;

const componentNames = new WeakMap<object, string>();
const nullableOf = new WeakMap<object, Schema>();

/** A shape the description lists once under `components.schemas` and points at elsewhere. */
export function named<T extends Schema>(name: string, schema: T): T {
  componentNames.set(schema, name);
  return schema;
}

export const componentName = (schema: object): string | undefined => componentNames.get(schema);
/** The named shape a `nullable(...)` was made from, so the description can point at it. */
export const nullableBase = (schema: object): Schema | undefined => nullableOf.get(schema);

export const string = { type: 'string' } as const;
export const integer = { type: 'integer' } as const;
export const boolean = { type: 'boolean' } as const;
/** Every time Wharf answers is an RFC 3339 UTC timestamp (`toISOString`). */
export const dateTime = { type: 'string', format: 'date-time' } as const;

export function nullable(schema: Schema): Schema {
  const type = schema.type;
  const out = { ...schema, type: [...(Array.isArray(type) ? type : [type]), 'null'] };
  if (componentNames.has(schema)) nullableOf.set(out, schema);
  return out;
}

export const arrayOf = (items: Schema): Schema => ({ type: 'array', items });

/** A map from free-form keys to `values`. */
export const mapOf = (values: Schema): Schema => ({ type: 'object', additionalProperties: values });

/** An object whose every property is always sent, except those named in `optional`. */
export function object(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)) };
}
