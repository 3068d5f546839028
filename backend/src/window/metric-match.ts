/**
 * Compiles a metric's `where` conditions into one predicate over an event's
 * fields, once at start-up, so the hot path runs closures instead of
 * interpreting the definition per event.
 *
 * Semantics: eq / ne / in compare strictly (`500` does not equal `"500"`);
 * an absent field compares as null. gt / gte / lt / lte hold only for a
 * numeric field. All conditions must hold.
 */
import type { FieldValue, PanecastEvent } from '../collect/event';
import type { WhereCondition } from './metric-match-parser';

export type EventPredicate = (event: PanecastEvent) => boolean;

function fieldOf(event: PanecastEvent, field: string): FieldValue {
  const value = event.fields[field];
  return value === undefined ? null : value;
}

function compileCondition(condition: WhereCondition): EventPredicate {
  const { field, op, value } = condition;
  switch (op) {
    case 'eq':
      return (event) => fieldOf(event, field) === value;
    case 'ne':
      return (event) => fieldOf(event, field) !== value;
    case 'in': {
      const set = new Set(value as readonly FieldValue[]);
      return (event) => set.has(fieldOf(event, field));
    }
    case 'gt':
      return (event) => {
        const v = event.fields[field];
        return typeof v === 'number' && v > (value as number);
      };
    case 'gte':
      return (event) => {
        const v = event.fields[field];
        return typeof v === 'number' && v >= (value as number);
      };
    case 'lt':
      return (event) => {
        const v = event.fields[field];
        return typeof v === 'number' && v < (value as number);
      };
    case 'lte':
      return (event) => {
        const v = event.fields[field];
        return typeof v === 'number' && v <= (value as number);
      };
  }
}

/** The predicate of all conditions, or undefined when there are none (no call on the hot path). */
export function compileWhere(conditions: readonly WhereCondition[]): EventPredicate | undefined {
  const predicates = conditions.map(compileCondition);
  if (predicates.length === 0) {
    return undefined;
  }
  if (predicates.length === 1) {
    return predicates[0];
  }
  return (event) => {
    for (const predicate of predicates) {
      if (!predicate(event)) {
        return false;
      }
    }
    return true;
  };
}
