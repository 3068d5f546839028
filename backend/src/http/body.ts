/**
 * Reads a request body as UTF-8 text, refusing more than `limit` bytes, and
 * within a budget of body bytes all requests may hold while they are read.
 */
import type { IncomingMessage } from 'node:http';
import { PanecastError } from '../errors';

/**
 * Bytes of request bodies being read at once, over all requests. Collector
 * keys of browser pages are public, so anyone may open many requests that
 * each send most of a large body and then stall; without a bound those
 * buffers would add up to the process's memory. Past the budget a request is
 * answered 503 (retried by the SDK) instead of buffered.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.held;
  }

  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) {
      return false;
    }
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }
}

export function readBody(request: IncomingMessage, limit: number, budget?: BodyBudget): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    // Refuse before reading: the client learns at once, nothing is buffered.
    return Promise.reject(new PanecastError('PANECAST_ERR_BODY_TOO_LARGE', { limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    /** Ends the read once: the buffered bytes go back to the budget. */
    const finish = (): void => {
      done = true;
      chunks.length = 0;
      budget?.give(size);
    };
    request.on('data', (chunk: Buffer) => {
      if (done) {
        return;
      }
      if (size + chunk.length > limit) {
        finish();
        reject(new PanecastError('PANECAST_ERR_BODY_TOO_LARGE', { limit }));
        return;
      }
      if (budget !== undefined && !budget.take(chunk.length)) {
        finish();
        reject(new PanecastError('PANECAST_ERR_BUSY', { limit: budget.limit }));
        return;
      }
      size += chunk.length;
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!done) {
        const text = Buffer.concat(chunks, size).toString('utf8');
        finish();
        resolve(text);
      }
    });
    const fail = (error: Error): void => {
      if (!done) {
        finish();
        reject(error);
      }
    };
    request.on('error', fail);
    // A client that goes away mid-body (or a request timeout) ends no read with 'end'.
    request.on('close', () => fail(new Error('the request closed before its body was read')));
  });
}
