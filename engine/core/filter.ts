/**
 * Pinecone's metadata filter language, validated and compiled once into closures.
 *
 * Semantics (API-DIGEST §8; the gaps listed in §23 are decided here):
 * - A filter is a plain object. Top-level keys are `$and`, `$or` or field names; several keys are an implicit AND.
 *   Any other `$`-key (at the top level or as a field's operator) is an error. `undefined` and `{}` match everything.
 * - A string/number/boolean field value is an implicit `$eq`; an object holds ≥ 1 operators (several = AND).
 *   An array as a bare value or as the `$eq`/`$ne` operand is an error ("use $in"); `null` anywhere is an error.
 * - `$eq`/`$ne` take a string, number or boolean; `$gt $gte $lt $lte` a finite number (stored non-numbers never
 *   match them); `$in`/`$nin` an array of strings/numbers/booleans (empty `$in` matches nothing, empty `$nin`
 *   everything); `$exists` a boolean. Numbers in operands must be finite.
 * - A stored list of strings matches `$eq v` if it contains v, `$ne v` if it does not, `$in` if any element is in
 *   the set, `$nin` if none is.
 * - Types never coerce (2019 ≠ "2019"); numbers compare as float64 (2019 == 2019.0).
 * - A missing field (or missing metadata) matches `$ne`, `$nin` and `$exists: false`, nothing else.
 * - `$and`/`$or` take a non-empty array of filter objects, compiled with the same rules. Filter objects nest at most
 *   32 deep (the top-level object is level 1).
 */
import { invalidArgument } from './errors.js';
import type { RecordMetadata } from './types.js';

/** A compiled filter: true when the record's metadata matches. */
export type Predicate = (metadata: RecordMetadata | undefined) => boolean;

/** Maximum nesting depth of filter objects (top level = 1). */
export const MAX_FILTER_DEPTH = 32;

type Test = (stored: unknown) => boolean;
type Scalar = string | number | boolean;

const FIELD_OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists']);
const hasOwn = Object.hasOwn;
const matchAll: Predicate = () => true;

/**
 * Validates `filter` and compiles it to a predicate over record metadata.
 * Returns `null` when the filter is `undefined` or `{}` (everything matches).
 * @throws LarchError INVALID_ARGUMENT naming the offending operator or field.
 */
export function compileFilter(filter: unknown): Predicate | null {
  if (filter === undefined) return null;
  if (!isPlainObject(filter)) throw bad(`the filter must be an object, got ${typeName(filter)}`);
  if (Object.keys(filter).length === 0) return null;
  return compileObject(filter, 1);
}

function compileObject(obj: Record<string, unknown>, depth: number): Predicate {
  if (depth > MAX_FILTER_DEPTH) throw bad(`filter nesting is deeper than ${MAX_FILTER_DEPTH} levels`);
  const clauses: Predicate[] = [];
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (key === '$and' || key === '$or') clauses.push(compileLogical(key, value, depth));
    else if (key.startsWith('$')) {
      if (FIELD_OPERATORS.has(key)) throw bad(`operator '${key}' must be applied to a field (only $and and $or are allowed at the top level)`);
      throw bad(`unknown operator '${key}'`);
    } else clauses.push(compileField(key, value));
  }
  return allOf(clauses);
}

function compileLogical(op: '$and' | '$or', operand: unknown, depth: number): Predicate {
  if (!Array.isArray(operand)) throw bad(`${op} needs a non-empty array of filter objects, got ${typeName(operand)}`);
  if (operand.length === 0) throw bad(`${op} needs a non-empty array of filter objects, got an empty array`);
  const clauses = operand.map((sub, i) => {
    if (!isPlainObject(sub)) throw bad(`${op}[${i}] must be a filter object, got ${typeName(sub)}`);
    return Object.keys(sub).length === 0 ? matchAll : compileObject(sub, depth + 1);
  });
  return op === '$and' ? allOf(clauses) : anyOf(clauses);
}

function compileField(field: string, value: unknown): Predicate {
  let test: Test;
  if (isScalar(value)) {
    checkScalar(value, '$eq', field);
    test = eqTest(value);
  } else if (Array.isArray(value)) {
    throw bad(`field '${field}' has an array value; use $in to match any of several values`);
  } else if (isPlainObject(value)) {
    const ops = Object.keys(value);
    if (ops.length === 0) throw bad(`field '${field}' needs at least one operator, got {}`);
    const tests = ops.map((op) => compileOperator(op, value[op], field));
    test = tests.length === 1 ? tests[0]! : allTests(tests);
  } else {
    throw bad(`field '${field}' has value ${typeName(value)}; expected a string, number, boolean or an object of operators`);
  }
  return fieldPredicate(field, test);
}

function compileOperator(op: string, operand: unknown, field: string): Test {
  switch (op) {
    case '$eq':
    case '$ne': {
      if (Array.isArray(operand)) throw bad(`${op} on field '${field}' needs a single value, got an array; use ${op === '$eq' ? '$in' : '$nin'}`);
      if (!isScalar(operand)) throw bad(`${op} on field '${field}' needs a string, number or boolean, got ${typeName(operand)}`);
      checkScalar(operand, op, field);
      const eq = eqTest(operand);
      return op === '$eq' ? eq : (s) => !eq(s);
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (typeof operand !== 'number' || !Number.isFinite(operand)) {
        throw bad(`${op} on field '${field}' needs a number, got ${typeName(operand)}`);
      }
      const v = operand;
      if (op === '$gt') return (s) => typeof s === 'number' && s > v;
      if (op === '$gte') return (s) => typeof s === 'number' && s >= v;
      if (op === '$lt') return (s) => typeof s === 'number' && s < v;
      return (s) => typeof s === 'number' && s <= v;
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand)) throw bad(`${op} on field '${field}' needs an array, got ${typeName(operand)}`);
      operand.forEach((el, i) => {
        if (!isScalar(el)) throw bad(`${op} on field '${field}' needs an array of strings, numbers or booleans, got ${typeName(el)} at position ${i}`);
        checkScalar(el, `${op}[${i}]`, field);
      });
      const inTest = setTest(new Set<Scalar>(operand as Scalar[]));
      return op === '$in' ? inTest : (s) => !inTest(s);
    }
    case '$exists': {
      if (typeof operand !== 'boolean') throw bad(`$exists on field '${field}' needs a boolean, got ${typeName(operand)}`);
      return operand ? (s) => s !== undefined : (s) => s === undefined;
    }
    default:
      if (op === '$and' || op === '$or') throw bad(`operator '${op}' cannot be applied to field '${field}'; put it at the level of the fields`);
      if (op.startsWith('$')) throw bad(`unknown operator '${op}' on field '${field}'`);
      throw bad(`unknown operator '${op}' on field '${field}' (operators start with '$'; nested metadata fields are not supported)`);
  }
}

/** `$eq` against a scalar; a stored string list matches when it contains a string operand. */
function eqTest(v: Scalar): Test {
  if (typeof v === 'string') return (s) => s === v || (Array.isArray(s) && s.includes(v));
  return (s) => s === v;
}

/** `$in` against a precomputed set; Set uses SameValueZero, so types never coerce. */
function setTest(set: Set<Scalar>): Test {
  if (set.size === 0) return () => false;
  let hasString = false;
  for (const v of set) if (typeof v === 'string') hasString = true;
  return (s) => {
    if (Array.isArray(s)) {
      if (!hasString) return false;
      for (let i = 0; i < s.length; i++) if (set.has(s[i])) return true;
      return false;
    }
    return set.has(s as Scalar);
  };
}

function fieldPredicate(field: string, test: Test): Predicate {
  // Only names that Object.prototype also has (constructor, __proto__, …) need the own-property check.
  if (field in Object.prototype) {
    return (md) => test(md !== undefined && hasOwn(md, field) ? md[field] : undefined);
  }
  return (md) => test(md === undefined ? undefined : md[field]);
}

function allTests(tests: Test[]): Test {
  const n = tests.length;
  return (s) => {
    for (let i = 0; i < n; i++) if (!tests[i]!(s)) return false;
    return true;
  };
}

function allOf(clauses: Predicate[]): Predicate {
  if (clauses.length === 1) return clauses[0]!;
  const n = clauses.length;
  return (md) => {
    for (let i = 0; i < n; i++) if (!clauses[i]!(md)) return false;
    return true;
  };
}

function anyOf(clauses: Predicate[]): Predicate {
  if (clauses.length === 1) return clauses[0]!;
  const n = clauses.length;
  return (md) => {
    for (let i = 0; i < n; i++) if (clauses[i]!(md)) return true;
    return false;
  };
}

function checkScalar(v: Scalar, op: string, field: string): void {
  if (typeof v === 'number' && !Number.isFinite(v)) throw bad(`${op} on field '${field}' needs a finite number, got ${v}`);
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'object' && !isPlainObject(v)) return `${(v as object).constructor?.name ?? 'non-plain'} object`;
  return typeof v;
}

function bad(what: string) {
  return invalidArgument(`Invalid filter: ${what}`);
}
