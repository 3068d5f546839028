/**
 * Dashboard template variables: which exist, what values a custom variable
 * can take, and the `$var` references inside strings. Grafana's syntaxes:
 * `$name`, `${name}`, `${name:format}` and the deprecated `[[name]]`;
 * names starting with `__` are Grafana's built-ins ($__all, $__interval…).
 */
import { IssueList, isRecord } from '../issues';

export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  /** The values a `custom` variable offers; undefined for others (known only at run time). */
  readonly values?: readonly string[];
}

export type Variables = ReadonlyMap<string, DashboardVariable>;

const REFERENCE = /\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]/g;

/** Names of the variables referenced in `text`, built-ins excluded. */
export function variableReferences(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const name = match[1] ?? match[2] ?? match[3];
    if (name !== undefined && !name.startsWith('__')) {
      names.push(name);
    }
  }
  return names;
}

/** True when the whole string is one variable reference (its value is known only at run time). */
export function isVariable(text: string): boolean {
  return /^(?:\$\{\w+(?::[^}]*)?\}|\$\w+|\[\[\w+(?::[^\]]*)?\]\])$/.test(text);
}

/** Reports references in `text` to variables the dashboard does not define. */
export function checkReferences(text: string, variables: Variables, issues: IssueList, at: string): void {
  for (const name of variableReferences(text)) {
    if (!variables.has(name)) {
      issues.add('variable', at, `refers to $${name}, which is not a variable of this dashboard`);
    }
  }
}

/** The values a reference may take: the custom variable's options, or undefined when unknown before run time. */
export function possibleValues(text: string, variables: Variables): readonly string[] | undefined {
  if (!isVariable(text)) {
    return [text];
  }
  const [name] = variableReferences(text);
  return name === undefined ? undefined : variables.get(name)?.values;
}

export const VARIABLE_TYPES = ['query', 'custom', 'constant', 'textbox', 'interval', 'datasource', 'adhoc', 'groupby', 'switch'];

/** Reads `templating.list`; issues for a missing or repeated name and an unknown type. */
export function readVariables(list: unknown, issues: IssueList): Map<string, DashboardVariable> {
  const variables = new Map<string, DashboardVariable>();
  if (list === undefined) {
    return variables;
  }
  if (!Array.isArray(list)) {
    issues.add('required', 'templating.list', 'must be a list of variables');
    return variables;
  }
  list.forEach((entry: unknown, index) => {
    const at = `templating.list[${index}]`;
    if (!isRecord(entry) || typeof entry.name !== 'string' || !/^\w+$/.test(entry.name) || entry.name.startsWith('__')) {
      issues.add('required', `${at}.name`, 'a variable needs a name of letters, digits and _ (not starting with __)');
      return;
    }
    if (variables.has(entry.name)) {
      issues.add('unique', `${at}.name`, `variable "${entry.name}" is defined twice`);
    }
    if (typeof entry.type !== 'string' || !VARIABLE_TYPES.includes(entry.type)) {
      issues.add('variable', `${at}.type`, `"${String(entry.type)}" is not a Grafana variable type (${VARIABLE_TYPES.join(', ')})`);
    }
    const values = entry.type === 'custom' && typeof entry.query === 'string' ? customValues(entry.query) : undefined;
    variables.set(entry.name, { name: entry.name, type: String(entry.type), ...(values === undefined ? {} : { values }) });
  });
  return variables;
}

/** Grafana's custom variable query: comma-separated values, each `value` or `text : value`. */
export function customValues(query: string): string[] {
  return query
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const pair = /^(.*?)\s+:\s+(.*)$/.exec(item);
      return pair?.[2] ?? item;
    });
}
