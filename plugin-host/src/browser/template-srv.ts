/**
 * `getTemplateSrv()`: interpolates the dashboard's variables into strings the
 * way Grafana's TemplateSrv does — `$var`, `${var}`, `${var:format}`,
 * `[[var]]`; scoped variables (`scopedVars`, e.g. `__interval`) win over
 * dashboard variables; multi-value variables use the glob format unless a
 * format is given; "All" expands to every option (or the custom all value);
 * unknown names are left untouched. Built-ins: `__from`, `__to` (ms),
 * `__range`, `__range_s`, `__range_ms`, `__dashboard`.
 */
import type { ScopedVars, TimeRange, TypedVariableModel } from '@grafana/data';
import type { TemplateSrv, VariableInterpolation } from '@grafana/runtime';
import type { VariableJson } from './dashboard-model';
import { formatVariableValue, type VariableValue } from './variable-format';

const VARIABLE_PATTERN = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;
export const ALL_VALUE = '$__all';

export interface VariableOption {
  text: string;
  value: string;
}

/** A dashboard variable as the host holds it: the saved model, its options and its current value. */
export interface HostVariable {
  model: VariableJson;
  options: VariableOption[];
  current: { text: VariableValue; value: VariableValue };
  error?: string;
}

interface Resolved {
  value: VariableValue;
  text: VariableValue;
  model?: HostVariable;
  /** A custom all value: inserted as written. */
  raw?: boolean;
}

type FormatFunction = (value: VariableValue, variable: unknown, defaultFormat: unknown) => string;

export class HostTemplateSrv implements TemplateSrv {
  private variables: HostVariable[] = [];
  private range?: TimeRange;

  constructor(private readonly dashboardUid: string) {}

  setVariables(variables: HostVariable[]): void {
    this.variables = variables;
  }

  getHostVariables(): readonly HostVariable[] {
    return this.variables;
  }

  updateTimeRange(timeRange: TimeRange): void {
    this.range = timeRange;
  }

  /**
   * The saved models with their resolved current value and options, in the
   * shape of Grafana's variable state (`TypedVariableModel`); the fields the
   * host does not track (`rootStateKey`, `state`, …) carry neutral values.
   */
  getVariables(): TypedVariableModel[] {
    return this.variables.map(
      (variable, index) =>
        ({
          ...variable.model,
          id: variable.model.name,
          rootStateKey: this.dashboardUid,
          global: false,
          index,
          state: 'Done',
          error: variable.error ?? null,
          description: null,
          skipUrlSync: false,
          hide: variable.model.hide ?? 0,
          current: { ...variable.current, selected: true },
          options: variable.options.map((option) => ({ ...option, selected: false })),
        }) as unknown as TypedVariableModel,
    );
  }

  containsTemplate(target?: string): boolean {
    if (!target) {
      return false;
    }
    for (const match of target.matchAll(VARIABLE_PATTERN)) {
      const name = match[1] ?? match[2] ?? match[4];
      if (name !== undefined && (this.find(name) !== undefined || name.startsWith('__'))) {
        return true;
      }
    }
    return false;
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function, interpolations?: VariableInterpolation[]): string {
    if (!target) {
      return target ?? '';
    }
    return target.replace(VARIABLE_PATTERN, (match, dollar?: string, bracket?: string, bracketFormat?: string, braced?: string, fieldPath?: string, bracedFormat?: string) => {
      const name = (dollar ?? bracket ?? braced) as string;
      const fmt: string | Function | undefined = bracketFormat ?? bracedFormat ?? format;
      const resolved = this.resolve(name, scopedVars);
      if (resolved === undefined) {
        interpolations?.push({ match, variableName: name, fieldPath, format: typeof fmt === 'string' ? fmt : undefined, value: match, found: false });
        return match;
      }
      const value = this.format(resolved, fmt, name);
      interpolations?.push({ match, variableName: name, fieldPath, format: typeof fmt === 'string' ? fmt : undefined, value, found: true });
      return value;
    });
  }

  private find(name: string): HostVariable | undefined {
    return this.variables.find((variable) => variable.model.name === name);
  }

  private resolve(name: string, scopedVars?: ScopedVars): Resolved | undefined {
    const scoped = scopedVars?.[name];
    if (scoped !== undefined) {
      const value = scoped.value as VariableValue | number;
      return { value: typeof value === 'number' ? String(value) : value, text: String(scoped.text ?? value) };
    }
    const builtin = this.builtin(name);
    if (builtin !== undefined) {
      return { value: builtin, text: builtin };
    }
    const variable = this.find(name);
    if (variable === undefined) {
      return undefined;
    }
    const value = variable.current.value;
    const isAll = value === ALL_VALUE || (Array.isArray(value) && value.includes(ALL_VALUE));
    if (!isAll) {
      return { value, text: variable.current.text, model: variable };
    }
    const allValue = variable.model.allValue;
    if (allValue !== undefined && allValue !== null && allValue !== '') {
      // A custom all value is used as written, not formatted (Grafana's rule).
      return { value: allValue, text: 'All', raw: true };
    }
    const every = variable.options.map((option) => option.value).filter((one) => one !== ALL_VALUE);
    return { value: every, text: 'All', model: variable };
  }

  private builtin(name: string): string | undefined {
    const range = this.range;
    switch (name) {
      case '__from':
        return range ? String(range.from.valueOf()) : undefined;
      case '__to':
        return range ? String(range.to.valueOf()) : undefined;
      case '__range_ms':
        return range ? String(range.to.valueOf() - range.from.valueOf()) : undefined;
      case '__range_s':
        return range ? String(Math.round((range.to.valueOf() - range.from.valueOf()) / 1000)) : undefined;
      case '__range':
        return range ? `${Math.round((range.to.valueOf() - range.from.valueOf()) / 1000)}s` : undefined;
      case '__dashboard':
        return this.dashboardUid;
      default:
        return undefined;
    }
  }

  private format(resolved: Resolved, fmt: string | Function | undefined, name: string): string {
    if (resolved.raw === true && fmt !== 'text' && fmt !== 'percentencode') {
      return String(resolved.value);
    }
    if (typeof fmt === 'function') {
      return (fmt as FormatFunction)(resolved.value, resolved.model?.model, formatVariableValue);
    }
    if (resolved.model === undefined && fmt === undefined) {
      return Array.isArray(resolved.value) ? resolved.value.join(',') : resolved.value;
    }
    return formatVariableValue(resolved.value, fmt, name, resolved.text);
  }
}
