/**
 * Token renewal without a gap (PROTOCOL.md `expiring`): a second connection opens beside the
 * current one with a fresh token. Until its welcome it only tells whether the gateway accepted
 * it; once welcomed the live client takes it over (`takeOver`), and from then on its frames and
 * its close go to the client like those of any connection. A renewal that fails (no token, a
 * refused token, no welcome in time) changes nothing: at expiry the gateway closes the old
 * connection with 4002, and the client reconnects with a fresh token then.
 */
import { PROTOCOL_VERSION, encode, parseServerMessage, type WelcomeMessage } from '@panecast/protocol';

import { closeQuietly, type SocketFactory, type SocketLike } from './socket';

export interface RenewalOptions {
  url: string;
  token: () => Promise<string>;
  socket: SocketFactory;
  /** No welcome within this: the renewal is abandoned. */
  timeoutMs: number;
}

/** Where a taken-over connection reports. */
export interface ConnectionOwner {
  message(text: string): void;
  close(code: number, reason: string): void;
}

type Phase = 'opening' | 'welcomed' | 'owned' | 'ended';

export class Renewal {
  private phase: Phase = 'opening';
  private socket?: SocketLike;
  private owner?: ConnectionOwner;
  private readonly timer: ReturnType<typeof setTimeout>;

  /** `welcomed` is called once, when the gateway accepted the new connection: take it over there. */
  constructor(
    private readonly options: RenewalOptions,
    private readonly welcomed: (renewal: Renewal, welcome: WelcomeMessage) => void,
  ) {
    this.timer = setTimeout(() => this.cancel(), options.timeoutMs);
    options.token().then(
      (token) => this.open(token),
      () => this.cancel(),
    );
  }

  private open(token: string): void {
    if (this.phase !== 'opening') {
      return;
    }
    try {
      const socket = this.options.socket(this.options.url, {
        open: () => this.phase === 'opening' && socket.send(encode({ type: 'hello', version: PROTOCOL_VERSION, token })),
        message: (text) => {
          if (text === undefined) {
            return;
          }
          if (this.phase === 'owned') {
            this.owner?.message(text);
          } else if (this.phase === 'opening') {
            this.frame(text);
          }
        },
        close: (code, reason) => (this.phase === 'owned' ? this.owner?.close(code, reason) : this.cancel()),
      });
      this.socket = socket;
    } catch {
      this.cancel();
    }
  }

  /** An error frame before the welcome is followed by a close, which cancels. */
  private frame(text: string): void {
    const message = parseServerMessage(text);
    if (message?.type !== 'welcome') {
      return;
    }
    if (message.version !== PROTOCOL_VERSION) {
      this.cancel();
      return;
    }
    clearTimeout(this.timer);
    this.phase = 'welcomed';
    this.welcomed(this, message);
  }

  /** The welcomed connection, handed over: its later frames and its close go to `owner`. */
  takeOver(owner: ConnectionOwner): SocketLike | undefined {
    if (this.phase !== 'welcomed') {
      return undefined;
    }
    this.phase = 'owned';
    this.owner = owner;
    return this.socket;
  }

  /** Abandons a renewal not taken over (closing its socket); a no-op once taken over. */
  cancel(): void {
    if (this.phase === 'owned' || this.phase === 'ended') {
      return;
    }
    this.phase = 'ended';
    clearTimeout(this.timer);
    closeQuietly(this.socket, 1000, 'renewal abandoned');
  }

  get active(): boolean {
    return this.phase === 'opening' || this.phase === 'welcomed';
  }
}
