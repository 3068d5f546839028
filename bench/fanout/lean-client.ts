/**
 * The fan-out load's WebSocket client: just enough RFC 6455 for a client of
 * the live gateway, built to cost the load as little CPU per frame as it can,
 * since the load shares the machine's two cores with the gateway it measures.
 *
 * Against ws's client (measured on this machine: ~8 µs of user CPU per frame
 * with ws, ~2–4 µs here) it saves ws's per-frame stream machinery (the
 * receiver is a Writable fed each chunk), the Buffer per message and the
 * UTF-8 validation: every socket reads into one shared buffer (net's
 * `onread`), and a text message is handed over as a byte range of it, valid
 * only during the call. What it does handle: the opening handshake (checking
 * Sec-WebSocket-Accept), masked client frames, frames split across reads,
 * pings (answered, or the gateway would reap the client), the close
 * handshake. Fragmented messages and extensions are refused: the gateway
 * sends neither.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** One read buffer for all sockets: every read is handled before the next one lands in it. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const HANDSHAKE_END = Buffer.from('\r\n\r\n');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface LeanHandlers {
  /** The handshake completed. */
  open(): void;
  /** A text message: bytes [start, end) of `bytes`, valid only during the call. */
  text(bytes: Buffer, start: number, end: number): void;
  /** Once: the server's close code, 1005 for a close without one, 1006 when the connection ended without a close. */
  close(code: number): void;
  error(error: Error): void;
}

export interface LeanOptions {
  port: number;
  host: string;
  path: string;
  /** The source address (loopback has ~28 k ephemeral ports per source address). */
  localAddress: string;
}

export class LeanWebSocket {
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private upgraded = false;
  /** Bytes of an incomplete handshake or frame, copied out of the shared read buffer. */
  private pending: Buffer | undefined;
  private closed = false;

  constructor(
    options: LeanOptions,
    private readonly handlers: LeanHandlers,
  ) {
    this.socket = connect({
      port: options.port,
      host: options.host,
      localAddress: options.localAddress,
      // true: keep reading (the load never pushes back on the gateway; a slow load would show as latency).
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buffer: Uint8Array) => {
          this.read(buffer as Buffer, n);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(`GET ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.socket.on('error', (error: Error) => {
      if (!this.closed) {
        this.handlers.error(error);
      }
    });
    this.socket.on('close', () => this.finish(1006));
  }

  /** Sends a text message, masked as a client must. */
  send(text: string): void {
    this.sendFrame(0x1, Buffer.from(text));
  }

  /** Drops the connection without a close handshake. */
  terminate(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private sendFrame(opcode: number, payload: Buffer): void {
    if (this.closed || this.socket.destroyed) {
      return;
    }
    const header = payload.length < 126 ? 2 : 4;
    if (payload.length >= 65_536) {
      throw new Error('lean client: messages over 64 KiB are not needed by the load');
    }
    const frame = Buffer.allocUnsafe(header + 4 + payload.length);
    frame[0] = 0x80 | opcode;
    if (header === 2) {
      frame[1] = 0x80 | payload.length;
    } else {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(payload.length, 2);
    }
    const mask = randomBytes(4);
    mask.copy(frame, header);
    for (let i = 0; i < payload.length; i++) {
      frame[header + 4 + i] = (payload[i] as number) ^ (mask[i & 3] as number);
    }
    this.socket.write(frame);
  }

  private read(buffer: Buffer, n: number): void {
    let bytes = buffer;
    let end = n;
    if (this.pending !== undefined) {
      bytes = Buffer.concat([this.pending, buffer.subarray(0, n)]);
      end = bytes.length;
      this.pending = undefined;
    }
    let at = 0;
    if (!this.upgraded) {
      const headEnd = bytes.subarray(0, end).indexOf(HANDSHAKE_END);
      if (headEnd < 0) {
        this.pending = Buffer.from(bytes.subarray(0, end));
        return;
      }
      const head = bytes.toString('latin1', 0, headEnd);
      const accept = createHash('sha1').update(this.key + GUID).digest('base64');
      if (!head.startsWith('HTTP/1.1 101 ') || !new RegExp(`\r\nsec-websocket-accept: ${accept.replace(/[+/]/g, '\\$&')}(\r\n|$)`, 'i').test(head)) {
        this.fail(new Error(`handshake refused: ${head.split('\r\n', 1)[0] ?? ''}`));
        return;
      }
      if (/\r\nsec-websocket-extensions:/i.test(head)) {
        this.fail(new Error('handshake: the lean client takes no extension'));
        return;
      }
      this.upgraded = true;
      at = headEnd + HANDSHAKE_END.length;
      this.handlers.open();
    }
    this.frames(bytes, at, end);
  }

  private frames(bytes: Buffer, from: number, end: number): void {
    let at = from;
    while (at < end && !this.closed) {
      if (end - at < 2) {
        break;
      }
      const first = bytes[at] as number;
      const second = bytes[at + 1] as number;
      let length = second & 0x7f;
      let header = 2;
      if (length === 126) {
        header = 4;
        if (end - at < header) {
          break;
        }
        length = bytes.readUInt16BE(at + 2);
      } else if (length === 127) {
        header = 10;
        if (end - at < header) {
          break;
        }
        length = bytes.readUInt32BE(at + 2) * 2 ** 32 + bytes.readUInt32BE(at + 6);
      }
      if (end - at < header + length) {
        break;
      }
      if ((second & 0x80) !== 0 || (first & 0x70) !== 0) {
        this.fail(new Error('protocol: a masked server frame or a reserved bit'));
        return;
      }
      const start = at + header;
      at = start + length;
      const opcode = first & 0x0f;
      if ((first & 0x80) === 0 || opcode === 0) {
        this.fail(new Error('protocol: a fragmented message'));
        return;
      }
      if (opcode === 0x1) {
        this.handlers.text(bytes, start, at);
      } else if (opcode === 0x9) {
        this.sendFrame(0xa, Buffer.from(bytes.subarray(start, at)));
      } else if (opcode === 0x8) {
        const code = length >= 2 ? bytes.readUInt16BE(start) : 1005;
        // Answer the close, then end: the gateway closes its side on our answer.
        this.sendFrame(0x8, Buffer.from(bytes.subarray(start, Math.min(at, start + 2))));
        this.finish(code);
        this.socket.end();
        return;
      } else if (opcode !== 0xa) {
        this.fail(new Error(`protocol: opcode ${opcode}`));
        return;
      }
    }
    if (at < end && !this.closed) {
      this.pending = Buffer.from(bytes.subarray(at, end));
    }
  }

  private fail(error: Error): void {
    this.handlers.error(error);
    this.finish(1002);
    this.socket.destroy();
  }

  private finish(code: number): void {
    if (!this.closed) {
      this.closed = true;
      this.handlers.close(code);
    }
  }
}
