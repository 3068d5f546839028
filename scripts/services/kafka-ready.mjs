// Is a Kafka broker really serving? Usage: node kafka-ready.mjs <host> <port> [timeout-ms]
// Exit 0 only when the broker answers a Metadata request and lists itself (<host>:<port>)
// among the live brokers; an open port alone is not enough (a KRaft broker accepts
// connections before it has registered with the controller and is unfenced).
// Dependency-free on purpose: it runs before `npm install` and must not need kafkajs.
import net from 'node:net';

const [host = '127.0.0.1', portArg = '19092', timeoutArg = '3000'] = process.argv.slice(2);
const port = Number(portArg);
const fail = (msg) => { process.stderr.write(`kafka-ready: ${msg}\n`); process.exit(1); };
setTimeout(() => fail(`no answer from ${host}:${port} within ${timeoutArg} ms`), Number(timeoutArg)).unref();

const CLIENT_ID = Buffer.from('panecast-ready');
const int16 = (v) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const int32 = (v) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const frame = (parts) => { const body = Buffer.concat(parts); return Buffer.concat([int32(body.length), body]); };
// Request header v1 (api key, version, correlation id, client id); v2 adds empty tagged fields.
const header = (apiKey, version, corr, flexible) =>
  [int16(apiKey), int16(version), int32(corr), int16(CLIENT_ID.length), CLIENT_ID, ...(flexible ? [Buffer.from([0])] : [])];

// Reads one size-prefixed response frame at a time from the socket.
const sock = net.connect({ host, port });
sock.on('error', (e) => fail(`${host}:${port}: ${e.message}`));
let buf = Buffer.alloc(0);
let waiter = null;
sock.on('data', (d) => { buf = Buffer.concat([buf, d]); waiter?.(); });
sock.on('close', () => fail('connection closed by the broker'));
const readFrame = () => new Promise((resolve) => {
  waiter = () => {
    if (buf.length < 4) return;
    const n = buf.readInt32BE(0);
    if (n < 0 || n > 1 << 24) fail(`${host}:${port} does not speak the Kafka protocol`); // e.g. "HTTP"
    if (buf.length < 4 + n) return;
    const f = buf.subarray(4, 4 + n);
    buf = buf.subarray(4 + n);
    waiter = null;
    resolve(f);
  };
  waiter();
});

// Minimal cursor over a response body.
const reader = (b) => {
  let o = 0;
  const r = {
    i8: () => b.readInt8((o += 1) - 1),
    i16: () => b.readInt16BE((o += 2) - 2),
    i32: () => b.readInt32BE((o += 4) - 4),
    uvarint: () => { let v = 0, s = 0, x; do { x = b[o++]; v |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return v; },
    bytes: (n) => b.subarray(o, (o += n)).toString('utf8'),
    str: () => { const n = r.i16(); return n < 0 ? null : r.bytes(n); },
    cstr: () => { const n = r.uvarint() - 1; return n < 0 ? null : r.bytes(n); },
    tags: () => { for (let n = r.uvarint(); n > 0; n--) { r.uvarint(); o += r.uvarint(); } },
  };
  return r;
};

sock.on('connect', async () => {
  sock.setNoDelay(true);
  // 1. ApiVersions v0: every broker answers it, and it tells us which Metadata versions exist
  //    (Kafka 4.0 removed Metadata v0-v3).
  sock.write(frame([...header(18, 0, 1, false)]));
  let r = reader(await readFrame());
  if (r.i32() !== 1) fail('ApiVersions: wrong correlation id');
  const err = r.i16();
  if (err !== 0) fail(`ApiVersions error code ${err}`);
  let range = null;
  for (let n = r.i32(); n > 0; n--) { const k = r.i16(), min = r.i16(), max = r.i16(); if (k === 3) range = [min, max]; }
  if (!range) fail('broker does not offer Metadata');
  // 2. Metadata for no topics, in one of the two encodings we speak: v12 (flexible, Kafka
  //    2.8+) or v4 (classic). Both return the list of live brokers first.
  const ok = (v) => range[0] <= v && v <= range[1];
  const version = ok(12) ? 12 : ok(4) ? 4 : fail(`no supported Metadata version in [${range}]`);
  const flexible = version >= 9;
  const body = flexible
    ? [Buffer.from([1, 0, 0, 0])] // topics: empty compact array; no auto-create; no authz ops; no tags
    : [int32(0), Buffer.from([0])]; // topics: empty array; no auto-create
  sock.write(frame([...header(3, version, 2, flexible), ...body]));
  r = reader(await readFrame());
  if (r.i32() !== 2) fail('Metadata: wrong correlation id');
  if (flexible) r.tags(); // response header v1
  r.i32(); // throttle_time_ms
  const brokers = [];
  const count = flexible ? r.uvarint() - 1 : r.i32();
  for (let i = 0; i < count; i++) {
    const node = r.i32(), h = flexible ? r.cstr() : r.str(), p = r.i32();
    flexible ? r.cstr() : r.str(); // rack
    if (flexible) r.tags();
    brokers.push({ node, host: h, port: p });
  }
  const me = brokers.find((b) => b.host === host && b.port === port);
  if (!me) fail(`Metadata v${version} lists brokers ${JSON.stringify(brokers)}, not ${host}:${port} (yet)`);
  process.stdout.write(`kafka-ready: broker ${me.node} at ${host}:${port} answers Metadata v${version}\n`);
  sock.destroy();
  process.exit(0);
});
