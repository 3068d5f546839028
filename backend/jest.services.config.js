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
  // kafkajs, when a consumer crashes (broker gone) and restarts, sends
  // LeaveGroup on a fresh connection it never closes; the broker drops it only
  // after connections.max.idle.ms (10 min). The app has stopped every client by
  // then, so do not let that stray socket hold the run open.
  forceExit: true,
};
