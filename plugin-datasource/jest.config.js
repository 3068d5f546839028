// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

// Jest configuration provided by Grafana scaffolding, extended as .config/README.md describes.
const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

// @grafana/* 13 and some of their dependencies ship ES modules as .mjs files, which the scaffold's
// transform pattern (.js/.jsx/.ts/.tsx) does not cover: compile those with the same swc options.
const [tsPattern, swcTransform] = Object.entries(base.transform)[0];

// ESM-only packages pulled in by @grafana/* 13 that the scaffold's list does not name yet.
const extraESModules = ['@react-hookz/web', '@ver0/deep-equal'];

module.exports = {
  ...base,
  transform: {
    [tsPattern]: swcTransform,
    '^.+\\.mjs$': swcTransform,
  },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, ...extraESModules])],
};
