import { askAgainIfRetriable, isRetriable } from './retriable';

/** A broker error as kafkajs raises it: NOT_LEADER_OR_FOLLOWER is retriable. */
const notLeader = Object.assign(new Error('This server is not the leader for that topic-partition'), { retriable: true, type: 'NOT_LEADER_OR_FOLLOWER' });
const badRequest = Object.assign(new Error('Invalid topic'), { retriable: false });

function scripted(failures: Error[], answer: string) {
  let now = 0;
  const waits: number[] = [];
  const asked: number[] = [];
  const request = async (remainingMs: number) => {
    asked.push(remainingMs);
    const failure = failures.shift();
    if (failure !== undefined) {
      throw failure;
    }
    return answer;
  };
  const sleep = async (ms: number) => {
    waits.push(ms);
    now += ms;
  };
  return { request, waits, asked, clock: () => now, sleep };
}

describe('askAgainIfRetriable', () => {
  it('asks again after a retriable broker error, waiting longer each time, with what is left of the budget', async () => {
    const run = scripted([notLeader, notLeader], 'offsets');
    await expect(askAgainIfRetriable(run.request, { attempts: 5, firstWaitMs: 100, deadline: 3000 }, run.clock, run.sleep)).resolves.toBe('offsets');
    expect(run.waits).toEqual([100, 200]);
    expect(run.asked).toEqual([3000, 2900, 2700]);
  });

  it('fails at once on an error no retry can cure', async () => {
    const run = scripted([badRequest], 'offsets');
    await expect(askAgainIfRetriable(run.request, { attempts: 5, firstWaitMs: 100, deadline: 3000 }, run.clock, run.sleep)).rejects.toBe(badRequest);
    expect(run.waits).toEqual([]);
  });

  it('gives up after its attempts, or when the next wait would pass the deadline', async () => {
    const byAttempts = scripted([notLeader, notLeader, notLeader], 'offsets');
    await expect(askAgainIfRetriable(byAttempts.request, { attempts: 3, firstWaitMs: 10, deadline: 3000 }, byAttempts.clock, byAttempts.sleep)).rejects.toBe(notLeader);
    expect(byAttempts.asked).toHaveLength(3);
    const byDeadline = scripted([notLeader, notLeader, notLeader], 'offsets');
    await expect(askAgainIfRetriable(byDeadline.request, { attempts: 10, firstWaitMs: 100, deadline: 250 }, byDeadline.clock, byDeadline.sleep)).rejects.toBe(notLeader);
    expect(byDeadline.waits).toEqual([100]);
  });

  it('reads kafkajs retriable marks only', () => {
    expect(isRetriable(notLeader)).toBe(true);
    expect(isRetriable(badRequest)).toBe(false);
    expect(isRetriable(new Error('timed out'))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });
});
