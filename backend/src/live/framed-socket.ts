/**
 * The gateway's write path to one WebSocket connection: numbered frames go
 * out as pre-encoded WebSocket frames written straight to the connection's
 * TCP socket; everything else (control messages, pings, the close) goes
 * through ws.
 *
 * Why: a broadcast sends the same frame to thousands of clients, and the
 * socket write is nearly all a delivery costs. ws.send(text) encodes the
 * text, builds a header and writes header + payload as two corked writes
 * (a writev), per client. Here a frame is encoded once per sub id — header
 * and UTF-8 payload in one Buffer (RFC 6455 §5.2) — and each client gets a
 * single write of that Buffer.
 *
 * This bypasses ws's Sender for those frames, and so relies on how ws 8
 * writes (framed-socket.test.ts fails if that changes: it checks the bytes
 * against ws.send's over a real socket, and the order of mixed sends through
 * a real ws client):
 * - with no extension negotiated (the gateway turns permessage-deflate off)
 *   ws.send, ping and close write to the socket synchronously, so our writes
 *   and ws's reach the wire in call order. With an extension ws may queue
 *   (deflate is asynchronous): then every frame goes through ws.send.
 * - once ws has sent or received a close (readyState no longer OPEN) no data
 *   frame may follow; ws.send drops them, and so does this.
 * bufferedAmount is then the socket's writableLength, Node's public count of
 * the bytes queued on the socket, ours and ws's alike (ws.bufferedAmount
 * adds only what ws itself holds back, which without an extension is nothing).
 * With a WriteTurns, a client's second and later frames of one turn of the
 * event loop are held in the corked socket and go out in one writev at the
 * turn's end (write-turns.ts); ws's own writes in between are held with them,
 * so the order on the wire stays the call order.
 * No ws import: the ws objects are typed by the parts used here.
 */
import type { Corkable, WriteTurns } from './write-turns';

/** The WebSocket API's readyState of an open connection (fixed by the WHATWG spec, ws.OPEN). */
const OPEN = 1;

/** The part of ws's WebSocket this uses. */
export interface WebSocketLike {
  readonly readyState: number;
  /** Negotiated extensions, '' for none. */
  readonly extensions: string;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** The part of the TCP socket that ws's handleUpgrade was given. */
export interface RawSocketLike extends Corkable {
  readonly writableLength: number;
  write(chunk: Uint8Array): boolean;
}

/** A numbered frame as one subscription sees it: its text, or the same as a whole WebSocket frame. */
export interface OutFrame {
  /** What a newer frame of the same subscription supersedes (series × window), without the sub id. */
  readonly identity: string;
  /** The frame's text with `sub` (the sub id's JSON) spliced in. */
  text(sub: string): string;
  /** The same text marked `"coalesced":true` (the client then accepts a seq skip before it). */
  coalescedText(sub: string): string;
  /** textFrame(text(sub)), built once per frame and sub id however many clients get it. */
  wire(sub: string): Buffer;
}

/** The complete, unmasked WebSocket text frame (FIN, opcode 1) of `payload`: what a server writes for it. */
export function textFrame(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(payload, header, 'utf8');
  return frame;
}

export class FramedSocket implements Corkable {
  /** No extension: our writes and ws's are in call order, so frames may bypass ws. */
  private readonly direct: boolean;
  /** The turn of this client's last frame, and the turn its socket is held in (WriteTurns numbers from 1). */
  private lastTurn = 0;
  private heldTurn = 0;
  /** Bytes of our frames held in the corked socket this turn: queued by us, not by a slow client. */
  private heldBytes = 0;

  constructor(
    private readonly ws: WebSocketLike,
    private readonly socket: RawSocketLike,
    /** Batches a client's frames of one turn into one write; without it every frame is its own write. */
    private readonly turns?: WriteTurns,
  ) {
    this.direct = ws.extensions === '';
  }

  /** Bytes queued for the client; frames held to the end of this turn (write-turns.ts) are not its backlog. */
  get bufferedAmount(): number {
    // Never below 0: a socket destroyed while held reports nothing queued.
    return this.direct ? Math.max(0, this.socket.writableLength - this.heldBytes) : this.ws.bufferedAmount;
  }

  /** A control message, through ws. */
  send(text: string): void {
    this.ws.send(text);
  }

  /** A numbered frame: one write of its shared wire bytes (held to the turn's end if not its first this turn). */
  sendFrame(frame: OutFrame, sub: string): void {
    if (!this.direct) {
      this.ws.send(frame.text(sub));
    } else if (this.ws.readyState === OPEN) {
      const wire = frame.wire(sub);
      if (this.turns !== undefined && this.held(this.turns)) {
        this.heldBytes += wire.length;
      }
      this.socket.write(wire);
    }
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.heldBytes = 0;
    this.socket.uncork();
  }

  /** The turn's first frame goes out at once; from its second the socket is held (corked) to the turn's end. */
  private held(turns: WriteTurns): boolean {
    const turn = turns.current();
    if (turn !== this.lastTurn) {
      this.lastTurn = turn;
      return false;
    }
    if (this.heldTurn !== turn) {
      this.heldTurn = turn;
      turns.holdUntilTurnEnd(this);
    }
    return true;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
}
