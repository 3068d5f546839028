/**
 * The built plugins' `dist/plugin.json`, checked against what Grafana's
 * plugin loader and its plugin.json schema require (the schema cannot be
 * fetched here; the rules below restate its required fields and patterns):
 * - `id`: lowercase `<org>-<name>-<type>`, ending in the plugin type;
 * - `type` one of Grafana's plugin types, `name` non-empty;
 * - `info`: `author.name`, `logos.small` and `logos.large` (files that exist
 *   in dist/), `version` and `updated` filled in by the build (no `%…%`);
 * - `dependencies.grafanaDependency`: a semver range admitting the @grafana/*
 *   major the plugin was built against;
 * - datasources: `metrics` and `streaming` (live data), and each route's
 *   `path`, `url` and header templates naming only JsonData/SecureJsonData.
 * The `module.js` beside it must be the AMD module Grafana loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const PLUGINS = [
  { folder: 'plugin-datasource', type: 'datasource', id: 'panecast-live-datasource' },
  { folder: 'plugin-panel', type: 'panel', id: 'panecast-live-panel' },
] as const;

interface Manifest {
  id?: string;
  type?: string;
  name?: string;
  metrics?: boolean;
  streaming?: boolean;
  routes?: Array<{ path?: string; url?: string; headers?: Array<{ name?: string; content?: string }> }>;
  info?: { author?: { name?: string }; logos?: { small?: string; large?: string }; version?: string; updated?: string };
  dependencies?: { grafanaDependency?: string };
}

/** The problems Grafana would have with a manifest; empty when it loads. */
export function manifestProblems(manifest: Manifest, dist: string, expected: { type: string; id: string }, grafanaMajor: number): string[] {
  const problems: string[] = [];
  if (manifest.id !== expected.id || !/^[a-z0-9]+(-[a-z0-9]+)*-(datasource|panel|app)$/.test(manifest.id ?? '')) {
    problems.push(`id must be ${expected.id} (lowercase org-name-type)`);
  }
  if (manifest.type !== expected.type || !manifest.id?.endsWith(`-${manifest.type}`)) {
    problems.push(`type must be ${expected.type} and end the id`);
  }
  if (!manifest.name?.trim()) {
    problems.push('name is required');
  }
  const info = manifest.info;
  if (!info?.author?.name?.trim()) {
    problems.push('info.author.name is required');
  }
  for (const size of ['small', 'large'] as const) {
    const logo = info?.logos?.[size];
    if (!logo || !existsSync(join(dist, logo))) {
      problems.push(`info.logos.${size} must name a file in dist/`);
    }
  }
  for (const field of ['version', 'updated'] as const) {
    const value = info?.[field];
    if (!value || value.includes('%')) {
      problems.push(`info.${field} must be filled in by the build`);
    }
  }
  const range = manifest.dependencies?.grafanaDependency ?? '';
  const lower = /^>=\s*(\d+)\.\d+\.\d+/.exec(range);
  const upper = /<\s*(\d+)\.\d+\.\d+/.exec(range);
  if (lower === null || Number(lower[1]) > grafanaMajor || (upper !== null && Number(upper[1]) <= grafanaMajor)) {
    problems.push(`dependencies.grafanaDependency "${range}" must admit Grafana ${grafanaMajor}`);
  }
  if (expected.type === 'datasource') {
    if (manifest.metrics !== true || manifest.streaming !== true) {
      problems.push('a live datasource declares metrics and streaming');
    }
    for (const route of manifest.routes ?? []) {
      if (!route.path || !/^\{\{ \.JsonData\.\w+ \}\}/.test(route.url ?? '')) {
        problems.push(`route ${route.path ?? '?'} needs a path and a url from JsonData`);
      }
      for (const header of route.headers ?? []) {
        const names = [...(header.content ?? '').matchAll(/\{\{ \.(\w+)\.\w+ \}\}/g)].map((match) => match[1]);
        if (!header.name || names.some((name) => name !== 'JsonData' && name !== 'SecureJsonData')) {
          problems.push(`route ${route.path} header ${header.name ?? '?'} may template only JsonData and SecureJsonData`);
        }
      }
    }
  }
  return problems;
}

function grafanaMajorOf(folder: string): number {
  const manifest = JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return Number(/(\d+)/.exec(manifest.dependencies['@grafana/data'] ?? '')?.[1]);
}

describe.each(PLUGINS)('$folder/dist/plugin.json', ({ folder, type, id }) => {
  const dist = join(ROOT, folder, 'dist');
  const read = (): Manifest => JSON.parse(readFileSync(join(dist, 'plugin.json'), 'utf8')) as Manifest;

  it('has what Grafana requires to load it', () => {
    expect(manifestProblems(read(), dist, { type, id }, grafanaMajorOf(folder))).toEqual([]);
  });

  it('ships the AMD module Grafana loads', () => {
    const module = readFileSync(join(dist, 'module.js'), 'utf8');
    expect(module).toMatch(/define\(\[/);
  });

  it('would be refused when broken', () => {
    const good = read();
    const broken: Array<[string, Manifest]> = [
      ['wrong id', { ...good, id: 'Panecast_Live' }],
      ['type not ending the id', { ...good, type: type === 'panel' ? 'datasource' : 'panel' }],
      ['missing logo file', { ...good, info: { ...good.info, logos: { small: 'img/missing.svg', large: 'img/missing.svg' } } }],
      ['version placeholder', { ...good, info: { ...good.info, version: '%VERSION%' } }],
      ['Grafana 12 only', { ...good, dependencies: { grafanaDependency: '>=12.0.0 <13.0.0' } }],
    ];
    if (type === 'datasource') {
      broken.push(['not streaming', { ...good, streaming: false }]);
      broken.push(['route leaking another template', { ...good, routes: [{ path: 'p', url: '{{ .JsonData.url }}', headers: [{ name: 'X', content: '{{ .Env.SECRET }}' }] }] }]);
    }
    for (const [what, manifest] of broken) {
      expect({ what, problems: manifestProblems(manifest, dist, { type, id }, grafanaMajorOf(folder)).length > 0 }).toEqual({ what, problems: true });
    }
  });
});

it('asks the same Grafana of both plugins: they ship and are installed together', () => {
  const ranges = PLUGINS.map(({ folder }) => {
    const manifest = JSON.parse(readFileSync(join(ROOT, folder, 'dist', 'plugin.json'), 'utf8')) as Manifest;
    return manifest.dependencies?.grafanaDependency;
  });
  expect(new Set(ranges).size).toBe(1);
});
