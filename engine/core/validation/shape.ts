/**
 * Shape checks and message helpers shared by the validators. Conventions where the docs are silent:
 * - An optional request field set to `null` counts as absent (proto3/JSON convention); `null` *inside* metadata is
 *   still an error.
 * - Unknown fields in records, queries, updates, list options and create-index options are errors (catches typos
 *   such as `top_k` or `sparse_values`).
 */
import { invalidArgument } from '../errors.js';

export function absent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Arrays and numeric typed arrays (Float32Array etc.); element types are checked by the caller. */
export function isNumberArray(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array));
}

export function rejectUnknown(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key) && obj[key] !== undefined) {
      throw invalidArgument(`${what} has unknown field ${quote(key)}; allowed fields are ${allowed.join(', ')}.`);
    }
  }
}

export function optionalEnum<T extends string>(v: unknown, allowed: readonly T[], field: string): T | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalidArgument(`${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(v)}.`);
  }
  return v as T;
}

export function optionalBoolean(v: unknown, field: string): boolean {
  if (absent(v)) return false;
  if (typeof v !== 'boolean') throw invalidArgument(`${field} must be a boolean, got ${typeName(v)}.`);
  return v;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

/** A short rendering of a value for messages. */
export function show(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeName(v);
}

/** Quotes a string for a message: long ones are cut, control characters escaped. */
export function quote(s: string): string {
  const cut = s.length > 64 ? `${s.slice(0, 48)}…` : s;
  return `'${cut.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
