/**
 * Node keeps a process alive for a pending timer. The SDK's timers should
 * not, except while someone awaits flush() or close(): a script ending in
 * `await client.close()` must not exit in the middle of a backoff, and a
 * script whose `flush(timeout)` gave up must not stay alive for a retry
 * nobody waits for. Browsers' timers have no ref/unref: a no-op there.
 */
export function holdProcess(timer: ReturnType<typeof setTimeout>, hold: boolean): ReturnType<typeof setTimeout> {
  const handle = timer as { ref?: () => void; unref?: () => void };
  if (hold) {
    handle.ref?.();
  } else {
    handle.unref?.();
  }
  return timer;
}
