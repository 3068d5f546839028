import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { KafkaLog } from './src/buffer/kafka-log';
import { PlatformaticLog } from './src/buffer/platformatic-log';
import type { EventLog } from './src/buffer/event-log';
const B = ['127.0.0.1:19092'];
const tail = ',"tsSource":"event","fields":{"service":"cart","route":"/v1/items/:id","method":"GET","status":200,"duration_ms":31.5,"host":"cart-3"}}';
function batch(n: number) { const now = Date.now(); return Array.from({ length: n }, (_, i) => ({ key: 'http_request', value: `{"type":"http_request","ts":${now - (i % 1500)}${tail}`, timestamp: now })); }
async function produce(log: EventLog, ms: number) {
  await log.ensureTopic(); await log.append(batch(10));
  const c0 = process.cpuUsage(); const t0 = performance.now(); let n = 0;
  await Promise.all(Array.from({ length: 4 }, async () => { while (performance.now() - t0 < ms) { const b = batch(1000); await log.append(b); n += b.length; } }));
  const el = performance.now() - t0; const c = process.cpuUsage(c0);
  return { perSec: Math.round(n / el * 1000), cpuUsPerEvent: +((c.user + c.system) / n).toFixed(2), n };
}
async function timed(total: number, start: (count: (n: number) => void) => Promise<() => Promise<void>>) {
  let seen = 0, first = 0, firstN = 0, last = 0; let done!: () => void; const p = new Promise<void>((r) => (done = r));
  const c0 = process.cpuUsage();
  const stop = await start((n) => { if (seen === 0) { first = performance.now(); firstN = n; } seen += n; if (seen >= total) { last = performance.now(); done(); } });
  const to = setTimeout(done, 60000); await p; clearTimeout(to); const c = process.cpuUsage(c0); await stop();
  return { perSec: Math.round((seen - firstN) / (last - first) * 1000), cpuUsPerEvent: +((c.user + c.system) / seen).toFixed(2), seen };
}
async function main() {
  const which = process.argv[2] ?? 'all';
  const id = Date.now().toString(36);
  const topicK = `pk-micro-k-${id}`, topicP = `pk-micro-p-${id}`;
  const res: Record<string, unknown> = {};
  const kj = new KafkaLog({ brokers: B, clientId: 'pk', topic: topicK, partitions: 6 });
  const pl = new PlatformaticLog({ brokers: B, clientId: 'pk', topic: topicP, partitions: 6 });
  for (const [name, log] of (process.argv[3] === 'pfirst' ? [['platformatic', pl], ['kafkajs', kj]] : [['kafkajs', kj], ['platformatic', pl]]) as Array<[string, EventLog]>) res[`produce ${name}`] = await produce(log, 5000);
  // Consume the kafkajs-filled topic with every consumer
  const k = new Kafka({ clientId: 'pk', brokers: B, logLevel: logLevel.NOTHING });
  const admin = k.admin(); await admin.connect();
  const offs = await admin.fetchTopicOffsets(topicK); const total = offs.reduce((s, o) => s + Number(o.high), 0);
  res.total = total;
  const order = ['raw-kafkajs', 'raw-platformatic', 'adapter-kafkajs', 'adapter-platformatic'];
  if (process.argv[3] === 'pfirst') order.reverse();
  for (const kind of order) {
    const group = `pk-micro-${kind}-${id}`;
    res[kind] = await timed(total, async (count) => {
      if (kind === 'raw-kafkajs') {
        const c = k.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000 });
        await c.connect(); await c.subscribe({ topics: [topicK], fromBeginning: true });
        await c.run({ eachBatchAutoResolve: false, eachBatch: async ({ batch, resolveOffset, heartbeat }) => { count(batch.messages.length); resolveOffset(batch.lastOffset()); await heartbeat(); } });
        return () => c.disconnect();
      }
      if (kind === 'raw-platformatic') {
        const c = new Consumer<string, string, string, string>({ clientId: 'pk', bootstrapBrokers: B, groupId: group, deserializers: stringDeserializers, autocommit: false, sessionTimeout: 10000, heartbeatInterval: 1000, maxBytes: 10485760, maxBytesPerPartition: 1048576 });
        const s = await c.consume({ topics: [topicK], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
        s.on('data', () => count(1));
        return async () => { await s.close(); await c.close(true); };
      }
      const log = kind === 'adapter-kafkajs' ? new KafkaLog({ brokers: B, clientId: 'pk', topic: topicK, partitions: 6 }) : new PlatformaticLog({ brokers: B, clientId: 'pk', topic: topicK, partitions: 6 });
      const c = await log.consume(group, { onBatch: async (b) => count(b.records.length) });
      return async () => { await c.stop(); await log.close(); };
    });
  }
  await admin.deleteTopics({ topics: [topicK, topicP, `${topicK}.late`, `${topicP}.late`] }).catch(() => 0);
  await admin.disconnect(); await kj.close(); await pl.close();
  console.log(JSON.stringify(res));
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
