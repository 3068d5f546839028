// Unit tests beside the code, and a run of the CLI against an embedded backend (test/).
const backend = require('../backend/jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Real Kafka: jest.services.config.js.
  testPathIgnorePatterns: ['/test/services/'],
  // The backend's sources (and its Kafka client) are imported here: compile them as its own tests do.
  transform: backend.transform,
  transformIgnorePatterns: backend.transformIgnorePatterns,
  moduleNameMapper: { '^@panecast/protocol$': '<rootDir>/../protocol/src/index.ts' },
  testTimeout: 60_000,
};
