/**
 * A scripted stand-in for fetch: records every request and answers from a
 * list (status, headers, body; 'network' throws like a refused connection;
 * 'hang' never answers until the request is aborted).
 */
export type Reply = number | 'network' | 'hang' | { status: number; headers?: Record<string, string>; body?: unknown };

export interface Call {
  url: string;
  key: string;
  authorization: string | undefined;
  contentType: string | undefined;
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
