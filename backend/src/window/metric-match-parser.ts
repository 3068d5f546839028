/**
 * A metric definition's `match` block (metric-definition.ts shows the document):
 * its types and its parser. Every problem goes to the entry's `fail`, so the
 * definition's parser reports them with all its others, in one pass.
 */
import type { FieldValue } from '../collect/event';
import { FIELD_PATTERN, TYPE_PATTERN } from './event-names';

export type WhereOp = 'eq' | 'ne' | 'in' | 'gt' | 'gte' | 'lt' | 'lte';

export interface WhereCondition {
  readonly field: string;
  readonly op: WhereOp;
  /** A list for `in`, a number for gt/gte/lt/lte, a scalar for eq/ne. */
  readonly value: FieldValue | readonly FieldValue[];
}

export interface MetricMatch {
  /** Event types that feed the metric; undefined (`type: "*"` or only `where`): any type that passes `where`. */
  readonly types?: readonly string[];
  readonly where: readonly WhereCondition[];
}

const WHERE_OPS: readonly WhereOp[] = ['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte'];

/** A decoded YAML/JSON mapping. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is FieldValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** Parses `match`; `fail` records an issue of the metric entry and returns undefined. */
export class MatchParser {
  constructor(private readonly fail: (field: string, rule: string) => undefined) {}

  types(value: unknown): string[] | undefined {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.length === 0) {
      return this.fail('match.type', 'must be an event type or a non-empty list of them');
    }
    for (const type of list) {
      if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
        return this.fail('match.type', `${JSON.stringify(type)} is not an event type (1-64 of letters, digits, _ . : -)`);
      }
    }
    return [...new Set(list as string[])];
  }

  condition(field: string, op: string, value: unknown): WhereCondition | undefined {
    const where = `match.where.${field}`;
    if (!(WHERE_OPS as readonly string[]).includes(op)) {
      return this.fail(where, `unknown operator "${op}"; use one of ${WHERE_OPS.join(', ')}`);
    }
    if (op === 'in') {
      if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) {
        return this.fail(where, '`in` takes a non-empty list of strings, numbers, booleans or null');
      }
      return { field, op, value: Object.freeze([...(value as FieldValue[])]) };
    }
    if (op === 'eq' || op === 'ne') {
      if (!isScalar(value)) {
        return this.fail(where, `\`${op}\` takes a string, a finite number, a boolean or null`);
      }
      return { field, op, value };
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return this.fail(where, `\`${op}\` takes a finite number`);
    }
    return { field, op: op as WhereOp, value };
  }

  where(value: unknown): WhereCondition[] | undefined {
    if (!isRecord(value) || Object.keys(value).length === 0) {
      return this.fail('match.where', 'must map field names to a value or to {operator: value}');
    }
    const conditions: WhereCondition[] = [];
    for (const [field, test] of Object.entries(value)) {
      if (!FIELD_PATTERN.test(field)) {
        this.fail(`match.where.${field}`, 'must be a field name');
        continue;
      }
      if (isRecord(test)) {
        if (Object.keys(test).length === 0) {
          this.fail(`match.where.${field}`, 'needs at least one operator');
        }
        for (const [op, operand] of Object.entries(test)) {
          const condition = this.condition(field, op, operand);
          if (condition !== undefined) {
            conditions.push(condition);
          }
        }
      } else {
        const condition = this.condition(field, 'eq', test);
        if (condition !== undefined) {
          conditions.push(condition);
        }
      }
    }
    return conditions;
  }

  match(value: unknown): MetricMatch | undefined {
    if (!isRecord(value)) {
      return this.fail('match', 'must be an object with `type` and/or `where`');
    }
    for (const key of Object.keys(value)) {
      if (key !== 'type' && key !== 'where') {
        this.fail(`match.${key}`, 'is not a known field (known: type, where)');
      }
    }
    if (value.type === undefined && value.where === undefined) {
      return this.fail('match', 'needs `type` and/or `where` (`type: "*"` matches every event type)');
    }
    if (value.type === '*') {
      const where = value.where === undefined ? [] : this.where(value.where);
      return where === undefined ? undefined : { where };
    }
    const types = value.type === undefined ? undefined : this.types(value.type);
    const where = value.where === undefined ? [] : this.where(value.where);
    if (where === undefined || (value.type !== undefined && types === undefined)) {
      return undefined;
    }
    return types === undefined ? { where } : { types, where };
  }
}
