/**
 * Reads the metric definitions: every `*.yaml`, `*.yml` or `*.json` file of
 * one folder, parsed and validated at start-up. Errors name the file, the
 * metric and the field (see window/metric-definition.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { combineDefinitions, parseMetricDefinitions, type MetricDefinition } from './window';

const PATTERN = /\.(ya?ml|json)$/i;

export class MetricFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricFilesError';
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
    let document: unknown;
    try {
      document = name.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new MetricFilesError(`${name}: not valid ${name.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
    }
    return parseMetricDefinitions(document, name);
  });
  return combineDefinitions(lists);
}
