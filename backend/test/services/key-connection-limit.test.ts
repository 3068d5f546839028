/**
 * The per-subject (read key) connection limit on the Redis ledger: three
 * gateways, each admitting connections of fresh tokens of one subject, admit
 * exactly the limit between them, and a refused connection leaves no slot
 * under its token.
 */
import Redis from 'ioredis';
import { RedisConnectionLedger } from '../../src/live/redis-connection-ledger';
import { TokenConnections, type Admission } from '../../src/live/token-connections';
import { REDIS_URL } from './services-env';

const SUBJECT_LIMIT = 5;
let redis: Redis;
const gateways: TokenConnections[] = [];

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  redis.disconnect();
});

it('admits exactly the subject limit across three gateways racing with a fresh token each', async () => {
  const ledger = new RedisConnectionLedger(redis, `key-limit-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`, 60_000);
  for (let i = 0; i < 3; i++) {
    gateways.push(new TokenConnections(ledger, { instanceId: `gw-${i}`, limit: 20, subjectLimit: SUBJECT_LIMIT, answerTimeoutMs: 5000 }));
  }
  const answers: Admission[] = await Promise.all(
    Array.from({ length: 30 }, (_, i) => (gateways[i % 3] as TokenConnections).acquire(`jti\u0000default\u0000t${i}`, 'subject\u0000default\u0000key-A')),
  );
  expect(answers.filter((answer) => answer.admitted)).toHaveLength(SUBJECT_LIMIT);
  expect(answers.filter((answer) => !answer.admitted).map((answer) => !answer.admitted && answer.reason)).toEqual(Array(30 - SUBJECT_LIMIT).fill('subject-limit'));
  expect(await ledger.count('subject\u0000default\u0000key-A')).toBe(SUBJECT_LIMIT);
  // Refused tokens hold nothing once their slots are given back.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const perToken = await Promise.all(answers.map((_, i) => ledger.count(`jti\u0000default\u0000t${i}`)));
  expect(perToken.reduce((sum, n) => sum + n, 0)).toBe(SUBJECT_LIMIT);
});
