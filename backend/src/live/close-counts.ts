/**
 * Why live connections end and what clients were refused: connections
 * closed, by close code and by the side that closed, and error frames sent,
 * by code. The gateway counts; `/v1/stats` (live.closesByCode,
 * live.errorFramesByCode) and `GET /metrics` read the same counts.
 *
 * Every label stays in a bounded set, whatever clients send: error codes
 * come from the catalogue; close codes the gateway sends are its own; a
 * client's close code is kept when the protocol or RFC 6455 defines it and
 * is `other` otherwise (a client may pick any of 2,000 private codes, and
 * each would be a series of its own). Close reasons, which a client writes,
 * are never kept.
 */
import { CLOSE } from '@panecast/protocol';
import type { ErrorCode } from '../errors';

/** Who ended a connection: `server`, this gateway (its code, whatever the client answered); `client`, the peer or the network. */
export type ClosedBy = 'client' | 'server';

/** Close code (as text, or `other`) → how many connections each side closed with it. */
export type ClosesByCode = Record<string, Partial<Record<ClosedBy, number>>>;

export type ErrorFramesByCode = Partial<Record<ErrorCode, number>>;

const PROTOCOL_CODES: ReadonlySet<number> = new Set(Object.values(CLOSE));

/** 1000–1015: RFC 6455's registered codes (1005 no code given, 1006 dropped without a close frame among them). */
function isRegistered(code: number): boolean {
  return Number.isInteger(code) && code >= 1000 && code <= 1015;
}

/** The label of a close code: the number when the protocol or the RFC knows it (or this gateway sent it), else `other`. */
export function closeCodeLabel(code: number, by: ClosedBy): string {
  return by === 'server' || PROTOCOL_CODES.has(code) || isRegistered(code) ? String(code) : 'other';
}

export class CloseCounts {
  private readonly closes: ClosesByCode = {};
  private readonly errorFrames: ErrorFramesByCode = {};

  closed(code: number, by: ClosedBy): void {
    const label = closeCodeLabel(code, by);
    const sides = (this.closes[label] ??= {});
    sides[by] = (sides[by] ?? 0) + 1;
  }

  errorFrame(code: ErrorCode): void {
    this.errorFrames[code] = (this.errorFrames[code] ?? 0) + 1;
  }

  /** Copies: a stats answer must not change under its reader. */
  closesByCode(): ClosesByCode {
    return Object.fromEntries(Object.entries(this.closes).map(([code, sides]) => [code, { ...sides }]));
  }

  errorFramesByCode(): ErrorFramesByCode {
    return { ...this.errorFrames };
  }
}
