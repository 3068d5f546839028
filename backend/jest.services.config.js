// Integration tests against the real Kafka, Redis and VictoriaMetrics started
// by `npm run services -- up`. Run one file at a time: they share the services.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/services'],
  testMatch: ['**/*.test.ts'],
  // @platformatic/kafka (the Kafka adapter's client) ships ES modules only: compile them to
  // CommonJS like our own files (Node itself loads them through require).
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    '/node_modules/@platformatic/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@platformatic/)'],
  moduleNameMapper: { '^@panecast/protocol$': '<rootDir>/../protocol/src/index.ts' },
  testTimeout: 120_000,
  // kafkajs, when a consumer crashes (broker gone) and restarts, sends
  // LeaveGroup on a fresh connection it never closes; the broker drops it only
  // after connections.max.idle.ms (10 min). The app has stopped every client by
  // then, so do not let that stray socket hold the run open.
  forceExit: true,
};
