/**
 * The Panecast backend as its own process in services mode (real Kafka,
 * Redis and VictoriaMetrics), on a topic and consumer group of its own so
 * the run sees only its own events. `stop()` and `start()` again keep the
 * topic, group and port: the restarted process resumes from the committed
 * offsets and the pane state in Redis, as a redeployed backend would.
 *
 * Credentials as in a deployment, made up for each run: live auth on (the
 * services-mode default) with a token secret, a read key for the Grafana
 * datasource (the host's data proxy adds it), a collector write key for the
 * traffic, and a WebSocket origin allow-list naming only the host's page.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

export class BackendProcess {
  private child?: ChildProcess;
  private port = 0;
  readonly run = `host-${Date.now().toString(36)}-${process.pid}`;
  url = '';
  output = '';
  readonly readKey = `read-${randomBytes(16).toString('hex')}`;
  readonly writeKey = `write-${randomBytes(16).toString('hex')}`;
  private readonly secret = randomBytes(32).toString('base64url');
  /** Browser origins the gateway takes; none until allowOrigin(). */
  private origins: string[] = [];

  constructor(private readonly extraEnv: Record<string, string> = {}) {}

  /** Lets pages from `origin` open the live channel (PANECAST_ALLOWED_ORIGINS), from the next start. */
  allowOrigin(origin: string): void {
    this.origins.push(origin);
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PANECAST_MODE: 'services',
      PANECAST_HOST: '127.0.0.1',
      PANECAST_PORT: String(this.port),
      PANECAST_KAFKA_BROKERS: process.env.PANECAST_KAFKA_BROKERS ?? '127.0.0.1:19092',
      PANECAST_REDIS_URL: process.env.PANECAST_REDIS_URL ?? 'redis://127.0.0.1:16379',
      PANECAST_VM_URL: process.env.PANECAST_VM_URL ?? 'http://127.0.0.1:18428',
      PANECAST_KAFKA_TOPIC: `panecast.test.${this.run}`,
      PANECAST_KAFKA_GROUP: `panecast-test-${this.run}`,
      PANECAST_KAFKA_PARTITIONS: '3',
      PANECAST_OUT_OF_ORDERNESS_MS: '500',
      PANECAST_IDLE_MS: '500',
      PANECAST_AUTH: 'on',
      PANECAST_TOKEN_SECRETS: this.secret,
      PANECAST_READ_KEYS: `default:${this.readKey}`,
      PANECAST_API_KEYS: `default:${this.writeKey}`,
      PANECAST_ALLOWED_ORIGINS: this.origins.join(','),
      ...this.extraEnv,
    };
  }

  /** Starts the process (on the same port as before after a stop) and resolves once it listens. */
  async start(timeoutMs = 60_000): Promise<string> {
    const child = spawn(process.execPath, [join(ROOT, 'backend', 'dist', 'main.js')], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`backend did not start within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        const match = /live page at (http:\/\/\S+?)\/?\s/.exec(this.output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`backend exited with ${code}:\n${this.output}`));
      });
    });
    this.port = Number(new URL(this.url).port);
    return this.url;
  }

  /** SIGTERM, then waits for the exit (the backend commits and closes its clients first). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    this.child = undefined;
  }
}
