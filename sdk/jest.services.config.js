// The SDK against collector instances on the real Kafka and Redis (`npm run services -- up`).
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
  testTimeout: 180_000,
  // kafkajs may leave a LeaveGroup connection behind after a stop (see backend/jest.services.config.js).
  forceExit: true,
};
