/**
 * The freshness probe. K marker event types; for each, one marker event per
 * 1 s window, POSTed alone at a random point 100–700 ms into the window
 * (event time = send time, so it belongs to that window). One live client
 * subscribes to the 1 s tumbling count of the markers grouped by type; each
 * (type, window) then counts exactly one event, so the first frame with a
 * value ≥ 1 for it is the first value that includes the marker.
 * Freshness = that frame's arrival − the marker POST's 202.
 */
import { Agent } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { LIVE_PATH, PROTOCOL_VERSION, type ServerMessage } from '@panecast/protocol';
import { METRIC_PREFIX } from './backend';
import { post } from './load';

const PANE_MS = 1000;
const TICK_MS = 5;

/** Wall-clock epoch ms with sub-ms precision. */
const now = () => performance.timeOrigin + performance.now();

export interface Marker {
  type: number;
  window: number;
  sentAt: number;
  ackAt?: number;
  /** First frame whose value includes the marker. */
  arrivedAt?: number;
  arrivedFinal?: boolean;
  failed?: string;
}

export class MarkerProbe {
  private readonly agent: Agent;
  private readonly markers = new Map<string, Marker>();
  private readonly next: number[];
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  frames = 0;
  errors: string[] = [];

  /** Markers are POSTed to `url`; the live client connects to `liveUrl` (the same process unless split). */
  constructor(
    private readonly url: string,
    private readonly types: number,
    private readonly liveUrl = url,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: types });
    this.next = Array.from({ length: types }, () => 0);
  }

  private typeName(k: number): string {
    return `${METRIC_PREFIX}marker_${k}`;
  }

  /** Connects, subscribes, resolves on the snapshot. */
  connect(): Promise<void> {
    const socket = new WebSocket(`${this.liveUrl.replace(/^http/, 'ws')}${LIVE_PATH}`, { perMessageDeflate: false });
    this.socket = socket;
    const filter = Array.from({ length: this.types }, (_, k) => this.typeName(k));
    return new Promise((resolve, reject) => {
      socket.on('open', () => {
        socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, token: 'anonymous' }));
        socket.send(
          JSON.stringify({
            type: 'subscribe',
            id: 'r1',
            sub: 'markers',
            query: { metric: `${METRIC_PREFIX}events`, aggregate: 'count', window: { type: 'tumbling', size: PANE_MS }, groupBy: ['type'], filter: { type: filter } },
          }),
        );
      });
      socket.on('message', (data: RawData) => {
        const arrived = now();
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type === 'snapshot') {
          message.windows.forEach((w) => this.seen(w.series.type, w.window.start, w.value, w.final, arrived));
          resolve();
        } else if (message.type === 'update' || message.type === 'correction') {
          this.frames++;
          this.seen(message.series.type, message.window.start, message.value, message.type === 'correction' || message.final === true, arrived);
        } else if (message.type === 'error') {
          this.errors.push(message.code);
          reject(new Error(`subscribe refused: ${message.code} ${message.message}`));
        }
      });
      socket.on('error', reject);
      socket.on('close', (code: number) => this.errors.push(`close ${code}`));
    });
  }

  private seen(type: string | undefined, window: number, value: number, final: boolean, arrived: number): void {
    if (type === undefined || value < 1) {
      return;
    }
    const marker = this.markers.get(`${type}|${window}`);
    if (marker !== undefined && marker.arrivedAt === undefined) {
      marker.arrivedAt = arrived;
      marker.arrivedFinal = final;
    }
  }

  start(): void {
    const t = now();
    for (let k = 0; k < this.types; k++) {
      this.next[k] = this.fireTime(t);
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** A random point 100–700 ms into the first window starting after `after`. */
  private fireTime(after: number): number {
    const window = Math.floor(after / PANE_MS) * PANE_MS + PANE_MS;
    return window + 100 + Math.random() * 600;
  }

  private tick(): void {
    const t = now();
    for (let k = 0; k < this.types; k++) {
      if (t >= (this.next[k] as number)) {
        this.next[k] = this.fireTime(t);
        void this.fire(k);
      }
    }
  }

  private async fire(k: number): Promise<void> {
    const sentAt = now();
    const ts = Math.floor(sentAt);
    const marker: Marker = { type: k, window: Math.floor(ts / PANE_MS) * PANE_MS, sentAt };
    this.markers.set(`${this.typeName(k)}|${marker.window}`, marker);
    try {
      const answer = await post(this.agent, `${this.url}/v1/events`, JSON.stringify({ type: this.typeName(k), ts }), 'application/json');
      if (answer.status === 202) {
        marker.ackAt = now();
      } else {
        marker.failed = `${answer.status}`;
      }
    } catch (error) {
      marker.failed = (error as Error).message.slice(0, 60);
    }
  }

  /** Markers sent in [from, to). */
  sentBetween(from: number, to: number): Marker[] {
    return [...this.markers.values()].filter((m) => m.sentAt >= from && m.sentAt < to);
  }

  stop(): void {
    clearInterval(this.timer);
    this.socket?.terminate();
    this.agent.destroy();
  }
}
