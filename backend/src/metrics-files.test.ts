import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMetricFiles, MetricFilesError } from './metrics-files';

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'panecast-metrics-'));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(folder, name), text);
  }
  return folder;
}

function loadError(files: Record<string, string>): string {
  const folder = folderWith(files);
  try {
    loadMetricFiles(folder);
  } catch (error) {
    expect(error).toBeInstanceOf(MetricFilesError);
    return (error as Error).message;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  throw new Error('the definitions loaded');
}

const metric = (extra: string) => `{"metrics": [{"name": "orders", "description": "Orders by country", "unit": "orders", "match": {"type": "order"}, "dimensions": ["country"]${extra}}]}`;

describe('loadMetricFiles', () => {
  it('refuses a JSON file with a key twice in one object, naming file, line and column, as YAML files are', () => {
    expect(loadError({ 'shop.json': metric(', "cardinalityCap": 5000,\n "cardinalityCap": 50') })).toBe('shop.json: not valid JSON: a key appears twice in one object at line 2, column 2');
    expect(loadError({ 'shop.yaml': 'metrics:\n  - name: orders\n    match: { type: order }\n    cardinalityCap: 5\n    cardinalityCap: 6\n' })).toMatch(/^shop\.yaml: not valid YAML: Map keys must be unique/);
  });

  it('loads a JSON file whose keys are distinct', () => {
    const folder = folderWith({ 'shop.json': metric(', "cardinalityCap": 50') });
    try {
      expect(loadMetricFiles(folder).map((d) => [d.name, d.cardinalityCap])).toEqual([['orders', 50]]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
