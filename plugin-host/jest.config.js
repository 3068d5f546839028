// Node-side checks of the host: each built plugin's AMD dependency list is
// covered by the host's registry, and the pure parts of the emulated Grafana
// runtime (template service, panel query runner). Browser tests: tests/*.spec.ts
// (Playwright, from the root playwright.config.ts).

// Packages under @grafana/data that ship only ES modules: compile them for jest
// too: the create-plugin scaffold's list, plus what @grafana/runtime's imports reach.
const esmOnly = [
  '@grafana/schema', '@react-hookz', '@ver0', '@wojtekmaj/date-utils', 'd3', 'd3-color', 'd3-force', 'd3-interpolate',
  'd3-scale-chromatic', 'get-user-locale', 'marked', 'memoize', 'mimic-function', 'ol', 'react-calendar',
  'react-colorful', 'rxjs', 'uuid',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true } }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: [`node_modules/(?!.*(${esmOnly.join('|')})/.*)`],
};
