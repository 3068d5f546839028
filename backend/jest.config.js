// Unit tests (beside the code) and public-behaviour tests over HTTP/WebSocket
// with the in-memory twins. Tests against real services: jest.services.config.js.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test/embedded'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: { '^@panecast/protocol$': '<rootDir>/../protocol/src/index.ts' },
};
