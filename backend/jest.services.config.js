// Integration tests against the real Kafka, Redis and VictoriaMetrics started
// by `npm run services -- up`. Run one file at a time: they share the services.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/services'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: { '^@panecast/protocol$': '<rootDir>/../protocol/src/index.ts' },
  testTimeout: 120_000,
};
