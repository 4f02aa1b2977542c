/**
 * Metadata schemas (API 2025-10): which fields are indexed for filtering. An index may declare one
 * (`spec.serverless.schema`), a namespace may declare its own when it is created; the namespace's wins. Without
 * any, every field is filterable. With one, only the fields it declares (each `filterable: true`, the one value
 * Pinecone supports) are indexed, and a filter that names another field is a 400.
 */
import { invalidArgument } from '../errors.js';
import type { MetadataField, MetadataSchema } from '../types.js';
import { absent, isPlainObject, quote, rejectUnknown, show, typeName } from './shape.js';

const FIELD_TYPES = ['string', 'integer', 'float', 'boolean', 'string_list'] as const;

/** Most fields a schema may declare. */
export const MAX_SCHEMA_FIELDS = 1000;

/** Validates a schema (`{ fields: { name: { filterable } } }`); answers a copy without extra keys. */
export function validateMetadataSchema(schema: unknown, where: string): MetadataSchema {
  if (!isPlainObject(schema)) throw invalidArgument(`${where} must be an object with a fields object, got ${typeName(schema)}.`);
  rejectUnknown(schema, ['fields'], where);
  const fields = schema.fields;
  if (!isPlainObject(fields)) throw invalidArgument(`${where}.fields must be an object of field names, got ${typeName(fields)}.`);
  const names = Object.keys(fields);
  if (names.length > MAX_SCHEMA_FIELDS) throw invalidArgument(`${where}.fields declares ${names.length} fields; the maximum is ${MAX_SCHEMA_FIELDS}.`);
  const out: MetadataSchema = { fields: {} };
  for (const name of names) {
    if (name.length === 0 || name.startsWith('$')) throw invalidArgument(`${where}.fields has an invalid field name ${quote(name)}: names are non-empty and do not start with '$'.`);
    const f = fields[name];
    if (!isPlainObject(f)) throw invalidArgument(`${where}.fields.${name} must be an object such as { "filterable": true }, got ${typeName(f)}.`);
    rejectUnknown(f, ['filterable', 'type', 'description'], `${where}.fields.${name}`);
    const field: MetadataField = { filterable: true };
    if (!absent(f.type)) {
      if (typeof f.type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(f.type)) {
        throw invalidArgument(`${where}.fields.${name}.type must be one of ${FIELD_TYPES.join(', ')}, got ${show(f.type)}.`);
      }
      field.type = f.type as MetadataField['type'];
    }
    if (!absent(f.filterable) && typeof f.filterable !== 'boolean') {
      throw invalidArgument(`${where}.fields.${name}.filterable must be a boolean, got ${typeName(f.filterable)}.`);
    }
    // Pinecone's own rule and message: a field left out of the schema is the way to leave it unindexed.
    if (f.filterable !== true) throw invalidArgument(`Field '${name}' is set to filterable: false. Only filterable: true is supported.`);
    if (!absent(f.description)) {
      if (typeof f.description !== 'string') throw invalidArgument(`${where}.fields.${name}.description must be a string, got ${typeName(f.description)}.`);
      field.description = f.description;
    }
    out.fields[name] = field;
  }
  return out;
}

/** The fields a schema makes filterable, sorted; undefined when there is no schema (every field is). */
export function filterableFields(schema: MetadataSchema | undefined): string[] | undefined {
  if (!schema) return undefined;
  return Object.keys(schema.fields).sort();
}

/** Field names a (valid) filter refers to, through `$and`/`$or`. */
export function filterFieldNames(filter: unknown, out = new Set<string>()): Set<string> {
  if (!isPlainObject(filter)) return out;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (Array.isArray(value)) for (const sub of value) filterFieldNames(sub, out);
    } else if (!key.startsWith('$')) out.add(key);
  }
  return out;
}

/**
 * Refuses a filter that names a field the schema does not make filterable.
 * @param where e.g. "namespace 'ns' of index 'docs'", for the message.
 */
export function assertFilterable(filter: unknown, schema: MetadataSchema | undefined, where: string): void {
  const allowed = filterableFields(schema);
  if (allowed === undefined) return;
  for (const name of filterFieldNames(filter)) {
    if (!allowed.includes(name)) {
      const list = allowed.length === 0 ? 'no field' : allowed.map((f) => `'${f}'`).join(', ');
      throw invalidArgument(
        `Cannot filter on metadata field '${name}': the schema of ${where} makes only ${list} filterable. Declare a field filterable in the schema when creating the index or namespace.`,
      );
    }
  }
}
