/**
 * Limits of the live channel. `ParseLimits` bound the work of parsing one
 * client frame; `Limits` adds what a gateway enforces per connection. The
 * gateway announces its `Limits` in `welcome`.
 */

export interface ParseLimits {
  /** UTF-8 bytes of one client frame; larger frames are refused (the transport closes with 1009). */
  readonly maxFrameBytes: number;
  /** Nesting of arrays and objects; the deepest valid frame (a filter list) nests 4 levels. */
  readonly maxDepth: number;
  /** Characters of a request id (`id`) and a subscription id (`sub`). */
  readonly maxIdLength: number;
  readonly maxTokenLength: number;
  /** Characters of a metric or dimension name. */
  readonly maxNameLength: number;
  /** Characters of one filter value. */
  readonly maxValueLength: number;
  /** Entries of `groupBy`. */
  readonly maxGroupBy: number;
  /** Dimensions of `filter`. */
  readonly maxFilterDims: number;
  /** Values accepted for one filter dimension. */
  readonly maxFilterValues: number;
  /** Window size in milliseconds. */
  readonly maxWindowMs: number;
}

export interface Limits extends ParseLimits {
  /** Subscriptions open at once on one connection. */
  readonly maxSubscriptions: number;
  /** `subscribe` requests per second on one connection (a token bucket of this size refilled per second). */
  readonly subscribesPerSecond: number;
  /** Connections open at once with one token subject. */
  readonly maxConnectionsPerToken: number;
  /** Frames per subscription kept for resume; older gaps get a fresh snapshot. */
  readonly replayFrames: number;
  /** Outbound bytes queued for a client before its updates are coalesced. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxFrameBytes: 64 * 1024,
  maxDepth: 8,
  maxIdLength: 64,
  maxTokenLength: 4096,
  maxNameLength: 128,
  maxValueLength: 256,
  maxGroupBy: 16,
  maxFilterDims: 32,
  maxFilterValues: 100,
  maxWindowMs: 31 * 24 * 3_600_000,
  maxSubscriptions: 100,
  subscribesPerSecond: 20,
  maxConnectionsPerToken: 20,
  replayFrames: 512,
  maxBufferedBytes: 1 << 20,
});
