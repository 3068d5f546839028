/**
 * Grafana's variable formats (`${var:csv}`, …) for the values a dashboard
 * variable can hold. Written from Grafana's documented behaviour
 * (docs: "Advanced variable format options"); the `date` format and
 * field paths (`${var.field}`) are not emulated.
 */
export type VariableValue = string | string[];

function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

function escapeLucene(value: string): string {
  return value.replace(/([!*+\-=<>\s&|()[\]{}^~?:\\/"])/g, '\\$1');
}

function asList(value: VariableValue): string[] {
  return Array.isArray(value) ? value : [value];
}

/** Formats `value` of variable `name`; `text` is the displayed text, for the `text` format. */
export function formatVariableValue(value: VariableValue, format: string | undefined, name: string, text: VariableValue): string {
  const list = asList(value);
  switch (format) {
    case undefined:
    case '':
    case 'glob':
      // Grafana's default for multi-value: a glob group; a single value stays bare.
      return list.length > 1 ? `{${list.join(',')}}` : (list[0] ?? '');
    case 'raw':
    case 'csv':
      return list.join(',');
    case 'pipe':
      return list.join('|');
    case 'regex':
      return list.length > 1 ? `(${list.map(escapeRegex).join('|')})` : escapeRegex(list[0] ?? '');
    case 'json':
      return JSON.stringify(Array.isArray(value) ? value : value);
    case 'text':
      return asList(text).join(' + ');
    case 'queryparam':
      return list.map((one) => `var-${encodeURIComponent(name)}=${encodeURIComponent(one)}`).join('&');
    case 'singlequote':
      return list.map((one) => `'${one.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return list.map((one) => `"${one.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return list.map((one) => `'${one.replace(/'/g, "''")}'`).join(',');
    case 'percentencode':
      return encodeURIComponent(list.length > 1 ? `{${list.join(',')}}` : (list[0] ?? ''));
    case 'lucene':
      return list.length > 1 ? `(${list.map((one) => `"${escapeLucene(one)}"`).join(' OR ')})` : escapeLucene(list[0] ?? '');
    case 'distributed':
      return list.map((one, index) => (index === 0 ? one : `${name}=${one}`)).join(',');
    default:
      throw new Error(`plugin host: variable format "${format}" is not emulated`);
  }
}
