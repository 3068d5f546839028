/**
 * Two writes at most per client per turn of the event loop, however many of
 * its subscriptions have a frame in that turn.
 *
 * A dashboard watches many queries over one connection, and the composer
 * updates them all on the same tick, so a gateway delivers a burst of
 * frames to each client: one per panel. Each frame written on its own is a
 * syscall, and on a busy gateway the syscalls are nearly all of its time
 * (the fan-out benchmark's profile: 87 % native socket write). So the first
 * frame a client gets in a turn is written at once (a client watching one
 * query pays nothing extra), and any further frame in the same turn is
 * held in the corked socket; at the end of the turn every corked socket is
 * uncorked, and Node writes its held frames with one writev. With 500
 * clients of 10 queries each, all updated on one tick, this halved the
 * gateway's CPU and its clients' (fan-out bench `--subs=10 --publish=tick`).
 *
 * A turn here ends at the next check phase (setImmediate), after the
 * deliveries of one slice (delivery-slices.ts), so held frames wait at most
 * for the rest of the slice.
 */

/** The part of a socket batching needs (net.Socket fits). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export class WriteTurns {
  private turn = 0;
  private open = false;
  private readonly corked: Corkable[] = [];

  /** The number of the current turn; the first call in a turn opens it (and schedules its end). */
  current(): number {
    if (!this.open) {
      this.open = true;
      this.turn++;
      setImmediate(this.end);
    }
    return this.turn;
  }

  /** Holds `socket`'s writes until the end of the current turn. */
  holdUntilTurnEnd(socket: Corkable): void {
    this.current();
    socket.cork();
    this.corked.push(socket);
  }

  private readonly end = (): void => {
    this.open = false;
    const corked = this.corked.splice(0);
    for (const socket of corked) {
      socket.uncork();
    }
  };
}
