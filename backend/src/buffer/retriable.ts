/**
 * Kafka requests asked again on a retriable broker error. kafkajs's admin
 * retries its offsets request only for an unknown topic; a partition whose
 * leader is not elected yet (a topic just created, a broker restarting) or
 * has moved answers NOT_LEADER_OR_FOLLOWER, marked retriable, and the call
 * fails at once. Kafka's own admin client asks again after a short wait, as
 * this does, within the caller's time budget.
 */

/** kafkajs marks the broker errors a retry can cure (KafkaJSError.retriable). */
export function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

export interface RetryBudget {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled before each later one. */
  firstWaitMs: number;
  /** No attempt starts after this (epoch ms). */
  deadline: number;
}

export async function askAgainIfRetriable<T>(
  request: (remainingMs: number) => Promise<T>,
  budget: RetryBudget,
  clock: () => number = Date.now,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  let waitMs = budget.firstWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request(Math.max(1, budget.deadline - clock()));
    } catch (error) {
      if (!isRetriable(error) || attempt >= budget.attempts || clock() + waitMs >= budget.deadline) {
        throw error;
      }
    }
    await sleep(waitMs);
    waitMs *= 2;
  }
}
