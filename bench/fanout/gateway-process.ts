/**
 * The fan-out benchmark's gateway: one process, an HTTP server with the
 * LiveGateway on it, over a RedisLiveBus on the real Redis — what a
 * deployed gateway runs, minus the collector and the processor.
 *
 *   gateway-process.ts <redis url> <namespace> <secret hex | off> [panecast | floor]
 *
 * `floor` runs FloorGateway (floor-gateway.ts) instead of the LiveGateway:
 * the same load and bus with only the writes no gateway can skip.
 *
 * Answers `stats` on its IPC channel with its CPU (process.cpuUsage), its
 * memory after a full GC (so RSS and heap per connection are not noise from
 * uncollected garbage) and its event-loop delay; profiles a window between
 * `profile-start` and `profile-stop`; exits on `stop`.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Redis from 'ioredis';
import { DEFAULT_LIMITS } from '@panecast/protocol';
import { GATEWAY_DEFAULTS, LiveGateway } from '../../backend/src/live/gateway';
import { CONNECTION_LEASE_MS } from '../../backend/src/live/connection-ledger';
import { RedisConnectionLedger } from '../../backend/src/live/redis-connection-ledger';
import { RedisLiveBus } from '../../backend/src/live/redis-live-bus';
import { FloorGateway } from './floor-gateway';
import { Profiler } from './profile';
import { DEFINITIONS, nowMs, PANE_MS, type FromGateway, type ToGateway } from './shared';

const [redisUrl, namespace, secretArg, mode = 'panecast'] = process.argv.slice(2) as [string, string, string, string?];
const authOn = secretArg !== 'off';

function send(message: FromGateway): void {
  process.send?.(message);
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

async function main(): Promise<void> {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  redis.on('error', (error: Error) => console.warn(`gateway redis: ${error.message}`));
  const bus = new RedisLiveBus(redis, namespace, { replayFrames: DEFAULT_LIMITS.replayFrames, queryLeaseMs: 15_000 });
  const gateway = mode === 'floor' ? new FloorGateway(bus) : new LiveGateway(bus, new RedisConnectionLedger(redis, namespace, CONNECTION_LEASE_MS), DEFINITIONS, {
    ...GATEWAY_DEFAULTS,
    // Auth off makes every client the same anonymous subject: lift the per-subject cap, not the others.
    limits: authOn ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, maxConnectionsPerToken: Number.MAX_SAFE_INTEGER },
    instanceId: `bench-gw-${process.pid}`,
    paneMs: PANE_MS,
    maxLiveWindowMs: 3600_000,
    secrets: authOn ? [Buffer.from(secretArg, 'hex')] : [],
    allowedOrigins: [],
  });
  const server = createServer((_request, response) => {
    response.writeHead(404).end();
  });
  gateway.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve));

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let profiler: Profiler | undefined;
  process.on('message', (message: ToGateway) => {
    if (message.type === 'profile-start') {
      profiler = new Profiler();
      void profiler.start().then(() => send({ type: 'profiling' }));
      return;
    }
    if (message.type === 'profile-stop') {
      void profiler?.stop().then(({ profile, summary }) => {
        writeFileSync(message.file, JSON.stringify(profile));
        send({ type: 'profile', summary });
      });
      return;
    }
    if (message.type === 'stop') {
      loop.disable();
      void gateway
        .close()
        .then(() => bus.close())
        .then(() => redis.quit())
        .finally(() => process.exit(0));
      return;
    }
    if (message.gc) {
      collect();
    }
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const stats = gateway.stats();
    send({
      type: 'stats',
      at: nowMs(),
      cpuMicros: cpu.user + cpu.system,
      cpuSystemMicros: cpu.system,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      loopP50Ms: loop.percentile(50) / 1e6,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
      live: { connections: stats.connections, queries: stats.queries, backlogged: stats.backlogged, conflated: stats.conflatedFrames },
    });
    if (message.resetLoop) {
      loop.reset();
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
}

void main().catch((error: Error) => {
  console.error(`gateway process: ${error.stack ?? error.message}`);
  process.exit(1);
});
