/** Locations in the repository, resolved from this file so the checks run from any working directory. */
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

/** Repo-relative locations of what the checks read. */
export const PATHS = Object.freeze({
  metricsDir: 'backend/metrics',
  datasources: 'provisioning/datasources',
  dashboards: 'provisioning/dashboards',
  scrapeConfig: 'provisioning/victoriametrics/scrape.yml',
  alerts: 'provisioning/alerts',
  datasourcePluginJson: 'plugin-datasource/src/plugin.json',
  panelPluginJson: 'plugin-panel/src/plugin.json',
  compose: 'docker-compose.yml',
  dockerfile: 'Dockerfile',
  dockerignore: '.dockerignore',
});
