/**
 * The first calls a services-mode process makes to Redis (claiming the pane
 * size) and to Kafka (creating the topics) decide whether it can start. A
 * process does not wait for them: it stops, and its supervisor restarts it
 * (docs/operations.md, "Starting and stopping"). What it prints must then
 * say which service did not answer and which setting names it, in one line,
 * as a bad setting does, not a client library's stack trace.
 */
export class UnreachableError extends Error {
  constructor(
    readonly service: 'Kafka' | 'Redis',
    readonly variable: string,
    cause: unknown,
  ) {
    super(`${service} (${variable}) did not answer: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'UnreachableError';
  }
}

/** Runs a start-up call to `service`; on failure runs `cleanup` (connections would keep retrying) and throws UnreachableError. */
export async function reaching<T>(service: UnreachableError['service'], variable: string, call: () => Promise<T>, cleanup: () => Promise<unknown>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw new UnreachableError(service, variable, error);
  }
}
