/**
 * `GET /readyz`: 200 when every dependency answers, 503 otherwise, with each
 * check by name. The probe stays open (load balancers send no credential),
 * but a failing check's error text names hosts, ports and URLs (a Kafka
 * broker's `host:port`, a refused connection to Redis, VictoriaMetrics' URL):
 * it goes only to a caller with a read key, the way `/v1/stats` is read
 * (http/read-auth.ts), and to the process log. Without read auth configured
 * there are no read keys, so the details are in the log only.
 */
import type { ReadAuth, Reader } from './read-auth';

/**
 * A check that has not answered by then fails as timed out. A client that
 * queues commands while it reconnects (ioredis does, for as long as its
 * retries last) would otherwise hold the probe for tens of seconds, and a
 * probe that times out tells the orchestrator nothing about which dependency
 * is down: the answer must come within a probe's usual timeout.
 */
export const CHECK_TIMEOUT_MS = 2000;

export interface ReadinessCheck {
  name: string;
  ping(): Promise<void>;
}

export type CheckResult = { ok: true } | { ok: false; /** Only for a reader with a read key. */ error?: string };

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export class ReadinessProbe {
  /** Check name → the error last logged for it: a probe every few seconds must not log every time. */
  private readonly logged = new Map<string, string>();

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly readAuth: ReadAuth | undefined,
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {}

  /**
   * The reader allowed to see the details: one with a valid read key. No authorization header: none
   * (the open probe). A header with a wrong key throws the read routes' 401, as `/v1/stats` does.
   */
  readerOf(authorization: string | undefined): Reader | undefined {
    // `Bearer` alone (what a client with no key saved sends) is no credential, as read-auth.ts has it.
    if (this.readAuth === undefined || authorization === undefined || /^\s*(Bearer\s*)?$/i.test(authorization)) {
      return undefined;
    }
    return this.readAuth.authenticate(authorization);
  }

  async run(reader: Reader | undefined): Promise<Readiness> {
    const results = await Promise.all(
      this.checks.map(async (check): Promise<[string, CheckResult]> => {
        try {
          await withTimeout(check.ping(), this.timeoutMs, check.name);
          this.recovered(check.name);
          return [check.name, { ok: true }];
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          this.failed(check.name, text);
          return [check.name, reader === undefined ? { ok: false } : { ok: false, error: text }];
        }
      }),
    );
    return { ready: results.every(([, result]) => result.ok), checks: Object.fromEntries(results) };
  }

  private failed(name: string, text: string): void {
    if (this.logged.get(name) !== text) {
      this.logged.set(name, text);
      console.warn(`readyz: ${name} is not ready: ${text}`);
    }
  }

  private recovered(name: string): void {
    if (this.logged.delete(name)) {
      console.warn(`readyz: ${name} is ready again`);
    }
  }
}

function withTimeout(ping: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
}
