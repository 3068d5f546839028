/**
 * Reads the metric definitions: every `*.yaml`, `*.yml` or `*.json` file of
 * one folder, parsed and validated at start-up. Errors name the file, the
 * metric and the field (see window/metric-definition.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseDocument } from 'yaml';
import { combineDefinitions, parseMetricDefinitions, type MetricDefinition } from './window';

const PATTERN = /\.(ya?ml|json)$/i;

export class MetricFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricFilesError';
  }
}

/**
 * JSON.parse keeps the last of two equal keys, so a definition such as
 * `"cardinalityCap": 5000, …, "cardinalityCap": 50` would load with a value
 * its author did not see. The YAML parser (JSON is YAML 1.2) reports them, as
 * it does for YAML files, with line and column.
 */
function refuseDuplicateKeys(name: string, text: string): void {
  const duplicate = parseDocument(text).errors.find((error) => error.code === 'DUPLICATE_KEY');
  if (duplicate !== undefined) {
    const at = duplicate.linePos?.[0];
    throw new MetricFilesError(`${name}: not valid JSON: a key appears twice in one object${at === undefined ? '' : ` at line ${at.line}, column ${at.col}`}`);
  }
}

export function loadMetricFiles(folder: string): readonly MetricDefinition[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => PATTERN.test(name)).sort();
  } catch (error) {
    throw new MetricFilesError(`metric definitions folder ${folder} cannot be read: ${(error as Error).message}`);
  }
  if (names.length === 0) {
    throw new MetricFilesError(`metric definitions folder ${folder} has no .yaml, .yml or .json file`);
  }
  const lists = names.map((name) => {
    const text = readFileSync(join(folder, name), 'utf8');
    const json = name.toLowerCase().endsWith('.json');
    let document: unknown;
    try {
      document = json ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new MetricFilesError(`${name}: not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
    }
    if (json) {
      refuseDuplicateKeys(name, text);
    }
    return parseMetricDefinitions(document, name);
  });
  return combineDefinitions(lists);
}
