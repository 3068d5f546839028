// Unit tests beside the code (fake fetch, fake timers) and tests against the
// real collector, started in-process in embedded mode (test/). The Chromium
// tests (test/browser) run under Playwright from the root config.
const backend = require('../backend/jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Real Kafka and Redis: jest.services.config.js.
  testPathIgnorePatterns: ['/test/services/'],
  // The backend's sources (and its Kafka client) are imported here: compile them as its own tests do.
  transform: backend.transform,
  transformIgnorePatterns: backend.transformIgnorePatterns,
  moduleNameMapper: { '^@panecast/protocol$': '<rootDir>/../protocol/src/index.ts' },
  testTimeout: 30_000,
};
