// `--target kafka` against the real Kafka started by `npm run services -- up`.
const backend = require('../backend/jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/services'],
  testMatch: ['**/*.test.ts'],
  // The backend's sources (and its Kafka client) are imported here: compile them as its own tests do.
  transform: backend.transform,
  transformIgnorePatterns: backend.transformIgnorePatterns,
  moduleNameMapper: { '^@panecast/protocol$': '<rootDir>/../protocol/src/index.ts' },
  testTimeout: 120_000,
};
