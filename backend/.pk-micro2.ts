import { Kafka, logLevel } from 'kafkajs';
import { KafkaLog } from './src/buffer/kafka-log';
import { PlatformaticLog } from './src/buffer/platformatic-log';
const B = ['127.0.0.1:19092'];
const tail = ',"tsSource":"event","fields":{"service":"cart","route":"/v1/items/:id","method":"GET","status":200,"duration_ms":31.5,"host":"cart-3"}}';
function batch(n: number) { const now = Date.now(); return Array.from({ length: n }, (_, i) => ({ key: `http_request${i % 6}`, value: `{"type":"http_request","ts":${now - (i % 1500)}${tail}`, timestamp: now })); }
async function main() {
  const id = Date.now().toString(36); const topic = `pk-micro2-${id}`;
  const pl = new PlatformaticLog({ brokers: B, clientId: 'pk', topic, partitions: 6 });
  await pl.ensureTopic();
  await Promise.all(Array.from({ length: 4 }, async () => { for (let i = 0; i < 50; i++) await pl.append(batch(1000)); }));
  const total = 200000;
  const out: Record<string, unknown> = {};
  for (const kind of (process.argv[2] ?? 'p,k,p,k').split(',')) {
    let seen = 0, first = 0, last = 0, batches = 0; let done!: () => void; const p = new Promise<void>((r) => (done = r));
    const log = kind === 'k' ? new KafkaLog({ brokers: B, clientId: 'pk', topic, partitions: 6 }) : new PlatformaticLog({ brokers: B, clientId: 'pk', topic, partitions: 6 });
    const c0 = process.cpuUsage();
    const c = await log.consume(`g-${kind}-${Math.random()}`, { onBatch: async (b) => { batches++; if (!first) first = performance.now(); seen += b.records.length; if (seen >= total) { last = performance.now(); done(); } } });
    await p; const cpu = process.cpuUsage(c0); await c.stop(); await log.close();
    (out[kind] ??= [] as unknown[]) as unknown[];
    (out[kind] as unknown[]).push({ perSec: Math.round(seen / (last - first) * 1000), batches, us: +((cpu.user + cpu.system) / seen).toFixed(2) });
  }
  const k = new Kafka({ clientId: 'pk', brokers: B, logLevel: logLevel.NOTHING }); const a = k.admin(); await a.connect(); await a.deleteTopics({ topics: [topic, `${topic}.late`] }).catch(() => 0); await a.disconnect(); await pl.close();
  console.log(process.env.PK_HWM ?? 1024, JSON.stringify(out));
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
