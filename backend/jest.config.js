// Unit tests (beside the code) and public-behaviour tests over HTTP/WebSocket
// with the in-memory twins. Tests against real services: jest.services.config.js.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test/embedded'],
  testMatch: ['**/*.test.ts'],
  // @platformatic/kafka (the Kafka adapter's client) ships ES modules only: compile them to
  // CommonJS like our own files (Node itself loads them through require).
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    '/node_modules/@platformatic/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@platformatic/)'],
  moduleNameMapper: { '^@panecast/protocol$': '<rootDir>/../protocol/src/index.ts' },
};
