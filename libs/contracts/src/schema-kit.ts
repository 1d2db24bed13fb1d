import { FormatRegistry, Kind, Type, TypeRegistry } from '@sinclair/typebox';
import type { SchemaOptions, TSchema, TUnsafe } from '@sinclair/typebox';

/**
 * The few schema building blocks every payload uses. They exist so that the generated JSON Schemas
 * read like hand-written ones (`"enum": [...]` rather than TypeBox's `anyOf` of constants, which
 * OpenAPI 3.0 tooling and AsyncAPI viewers render poorly) while TypeBox still checks them.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 3339 date-time as produced by Date#toISOString (and any offset form).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (value) => UUID.test(value));
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
}
if (!FormatRegistry.Has('uri')) {
  FormatRegistry.Set('uri', (value) => {
    try {
      return new URL(value).protocol.length > 1;
    } catch {
      return false;
    }
  });
}

interface StringEnumSchema extends TSchema {
  enum: readonly string[];
}

if (!TypeRegistry.Has('StringEnum')) {
  TypeRegistry.Set<StringEnumSchema>(
    'StringEnum',
    (schema, value) => typeof value === 'string' && schema.enum.includes(value),
  );
}

/** A string restricted to the values of a TypeScript string enum, rendered as JSON Schema `enum`. */
export function StringEnum<E extends Record<string, string>>(
  values: E,
  options: SchemaOptions = {},
): TUnsafe<E[keyof E]> {
  return Type.Unsafe<E[keyof E]>({
    ...options,
    [Kind]: 'StringEnum',
    type: 'string',
    enum: Object.values(values),
  });
}

export const Uuid = (options: SchemaOptions = {}) => Type.String({ format: 'uuid', ...options });
export const IsoDateTime = (options: SchemaOptions = {}) => Type.String({ format: 'date-time', ...options });
export const Nullable = <T extends TSchema>(schema: T, options: SchemaOptions = {}) =>
  Type.Union([schema, Type.Null()], options);

/** Tenant ids are opaque (docs/api-contract.md's example is `550e8400`), not UUIDs. */
export const TENANT_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const TenantId = (options: SchemaOptions = {}) =>
  Type.String({ pattern: TENANT_ID_PATTERN, description: 'Opaque tenant id', ...options });

/** Sha-256 digests travel as lower-case hex. */
export const Sha256Hex = (options: SchemaOptions = {}) =>
  Type.String({ pattern: '^[0-9a-f]{64}$', ...options });
