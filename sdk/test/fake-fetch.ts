/**
 * A scripted stand-in for fetch: records every request and answers from a
 * list (status, headers, body; 'network' throws like a refused connection;
 * 'hang' never answers until the request is aborted; `stall` sends the
 * status and headers, then no body until the request is aborted, as a
 * connection that dies after the headers does).
 */
export type Reply = number | 'network' | 'hang' | { status: number; headers?: Record<string, string>; body?: unknown; stall?: boolean };

export interface Call {
  url: string;
  key: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The `sent-at` header as sent (epoch ms text), per attempt. */
  sentAt: string | undefined;
  keepalive: boolean;
  events: Array<Record<string, unknown>>;
  at: number;
}

export function fakeFetch(replies: Reply[] = [], fallback: Reply = 202): { fetch: typeof fetch; calls: Call[]; replies: Reply[] } {
  const calls: Call[] = [];
  const fake = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const events = JSON.parse(String(init?.body)) as Array<Record<string, unknown>>;
    calls.push({
      url: String(input),
      key: headers['idempotency-key'] as string,
      authorization: headers.authorization,
      contentType: headers['content-type'],
      sentAt: headers['sent-at'],
      keepalive: init?.keepalive === true,
      events,
      at: Date.now(),
    });
    const reply = replies.length > 0 ? (replies.shift() as Reply) : fallback;
    if (reply === 'network') {
      throw new TypeError('fetch failed');
    }
    if (reply === 'hang') {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted', 'AbortError')));
      });
    }
    const spec = typeof reply === 'number' ? { status: reply } : reply;
    if (spec.stall === true) {
      // As fetch does: aborting the request errors a body still being read.
      const stalled = new ReadableStream<Uint8Array>({
        start(controller) {
          init?.signal?.addEventListener('abort', () => controller.error(new DOMException('The operation was aborted', 'AbortError')));
        },
      });
      return new Response(stalled, { status: spec.status, headers: spec.headers });
    }
    const body =
      spec.body ?? (spec.status < 300 ? { accepted: events.length } : { error: { code: `TEST_${spec.status}`, message: `status ${spec.status}` } });
    return new Response(JSON.stringify(body), { status: spec.status, headers: spec.headers });
  };
  return { fetch: fake as typeof fetch, calls, replies };
}

/** Type values of the events of every call, per call. */
export function typesPerCall(calls: readonly Call[]): string[][] {
  return calls.map((call) => call.events.map((event) => String(event.type)));
}
