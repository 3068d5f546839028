/** Reads a request body as UTF-8 text, refusing more than `limit` bytes. */
import type { IncomingMessage } from 'node:http';
import { PanecastError } from '../errors';

export function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    // Refuse before reading: the client learns at once, nothing is buffered.
    return Promise.reject(new PanecastError('PANECAST_ERR_BODY_TOO_LARGE', { limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) {
        return;
      }
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(new PanecastError('PANECAST_ERR_BODY_TOO_LARGE', { limit }));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks, size).toString('utf8'));
      }
    });
    request.on('error', (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
  });
}
