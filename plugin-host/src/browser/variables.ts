/**
 * Resolves the dashboard's variables once at load (Grafana's "on dashboard
 * load" refresh): options, then the current value from the URL
 * (`?var-name=a&var-name=b`, Grafana's own syntax; `All` for all) or else
 * the saved value or else the first option. Query variables ask their datasource's
 * `metricFindQuery(query, { range, variable })` and apply `regex` and the
 * alphabetical/numerical `sort` modes (1–4). Emulated types: query, custom,
 * constant, textbox, interval, datasource. Not emulated: refresh on time
 * range change, chained variables re-resolving each other, ad hoc filters,
 * group-by variables, natural sort modes.
 */
import type { DataSourceApi, MetricFindValue, TimeRange } from '@grafana/data';
import type { DataSourceSrv } from '@grafana/runtime';
import type { VariableJson } from './dashboard-model';
import { ALL_VALUE, type HostTemplateSrv, type HostVariable, type VariableOption } from './template-srv';
import type { VariableValue } from './variable-format';

function text(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(',') : String(value ?? '');
}

/** `a,b` or `label : value` items, as Grafana's custom variable parses them. */
function parseCustom(query: string): VariableOption[] {
  return query
    .split(/(?<!\\),/)
    .map((item) => item.replace(/\\,/g, ',').trim())
    .filter((item) => item !== '')
    .map((item) => {
      const match = /^(.+?)\s:\s(.+)$/.exec(item);
      return match ? { text: (match[1] as string).trim(), value: (match[2] as string).trim() } : { text: item, value: item };
    });
}

function sortOptions(options: VariableOption[], sort: number | undefined): VariableOption[] {
  const byText = (a: VariableOption, b: VariableOption) => a.text.localeCompare(b.text);
  const byNumber = (a: VariableOption, b: VariableOption) => (parseFloat(a.text) || 0) - (parseFloat(b.text) || 0);
  switch (sort) {
    case 1:
      return [...options].sort(byText);
    case 2:
      return [...options].sort(byText).reverse();
    case 3:
      return [...options].sort(byNumber);
    case 4:
      return [...options].sort(byNumber).reverse();
    default:
      return options;
  }
}

function applyRegex(values: MetricFindValue[], regex: string | undefined): VariableOption[] {
  const options = values.map((value) => ({ text: String(value.text), value: String(value.value ?? value.text) }));
  if (!regex) {
    return options;
  }
  const literal = /^\/(.*)\/([gimsuy]*)$/.exec(regex);
  const pattern = literal ? new RegExp(literal[1] as string, literal[2]) : new RegExp(regex);
  return options.flatMap((option) => {
    const match = pattern.exec(option.value);
    if (!match) {
      return [];
    }
    const captured = match[1] ?? option.value;
    return [{ text: captured, value: captured }];
  });
}

async function optionsFor(model: VariableJson, datasourceSrv: DataSourceSrv, range: TimeRange, templateSrv: HostTemplateSrv): Promise<VariableOption[]> {
  switch (model.type) {
    case 'custom':
    case 'interval':
      return parseCustom(text(model.query));
    case 'constant':
    case 'textbox':
      return [{ text: text(model.query), value: text(model.query) }];
    case 'datasource':
      return datasourceSrv
        .getList({ pluginId: text(model.query) })
        .map((source) => ({ text: source.name, value: source.uid }));
    case 'query': {
      const datasource: DataSourceApi = await datasourceSrv.get(model.datasource ?? null);
      if (typeof datasource.metricFindQuery !== 'function') {
        throw new Error(`datasource ${datasource.name} has no metricFindQuery (custom variable support is not emulated)`);
      }
      const query = typeof model.query === 'string' ? templateSrv.replace(model.query) : model.query;
      const found = await datasource.metricFindQuery(query, { range, variable: { name: model.name } });
      return sortOptions(applyRegex(found, model.regex), model.sort);
    }
    default:
      throw new Error(`variable type "${model.type}" is not emulated`);
  }
}

/**
 * URL values are taken as given, like Grafana's scenes-based dashboards do
 * (a value not among the options still applies); the saved value only when it
 * is still an option (constants and text boxes: always); else the first option.
 */
function pickCurrent(model: VariableJson, options: VariableOption[], fromUrl: string[]): { text: VariableValue; value: VariableValue } {
  const valid = (value: string) => value === ALL_VALUE || options.some((option) => option.value === value);
  const saved = [model.current?.value ?? []].flat();
  let chosen = fromUrl.map((value) => (value === 'All' ? ALL_VALUE : value));
  if (chosen.length === 0) {
    chosen = model.type === 'constant' || model.type === 'textbox' ? saved : saved.filter(valid);
  }
  if (chosen.length === 0) {
    const first = options[0];
    chosen = first ? [first.value] : [];
  }
  const textOf = (value: string) => (value === ALL_VALUE ? 'All' : (options.find((option) => option.value === value)?.text ?? value));
  if (model.multi === true) {
    return { value: chosen, text: chosen.map(textOf) };
  }
  const single = chosen[0] ?? '';
  return { value: single, text: textOf(single) };
}

export async function resolveVariables(
  models: readonly VariableJson[],
  search: URLSearchParams,
  datasourceSrv: DataSourceSrv,
  templateSrv: HostTemplateSrv,
  range: TimeRange,
): Promise<HostVariable[]> {
  const resolved: HostVariable[] = [];
  for (const model of models) {
    let options: VariableOption[];
    let error: string | undefined;
    try {
      options = await optionsFor(model, datasourceSrv, range, templateSrv);
    } catch (reason) {
      error = reason instanceof Error ? reason.message : String(reason);
      options = (model.options ?? []).map((option) => ({ text: text(option.text), value: text(option.value) }));
    }
    if (model.includeAll === true) {
      options = [{ text: 'All', value: ALL_VALUE }, ...options.filter((option) => option.value !== ALL_VALUE)];
    }
    const current = pickCurrent(model, options, search.getAll(`var-${model.name}`));
    resolved.push({ model, options, current, error });
    // Later variables may refer to earlier ones.
    templateSrv.setVariables([...resolved]);
  }
  return resolved;
}
