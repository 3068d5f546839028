/**
 * The live client's state and its one setter (the states and their transitions: live-client.ts).
 * Every transition goes through `set`, which emits it with a code and a reason, so a panel can
 * show why it is not live without the client reporting each case on its own.
 */
import type { LiveState, StateChange } from './live-types';

export class LiveStateMachine {
  private value: LiveState = 'idle';
  private readonly listeners = new Set<(change: StateChange) => void>();

  get state(): LiveState {
    return this.value;
  }

  onChange(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Emits `state` to every listener; a repeated state only when it comes with a code. */
  set(state: LiveState, code?: string | number, reason?: string): void {
    const previous = this.value;
    if (previous === state && code === undefined) {
      return;
    }
    this.value = state;
    for (const listener of [...this.listeners]) {
      listener({ state, previous, code, reason });
    }
  }
}
