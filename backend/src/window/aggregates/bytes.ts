/**
 * The byte codec shared by every serialized aggregate: unsigned LEB128
 * varints (counts and key deltas are small, so most take one byte), zigzag
 * for signed keys, little-endian float64 for sums and extremes.
 *
 * Varints here carry integers up to 2^53 with arithmetic, not 32-bit bit
 * operations, because counts of a coarse pane can pass 2^32.
 */
import { PanecastError } from '../../errors';

/** The capacity a growing buffer doubles to so that `needed` bytes fit. */
export function grownCapacity(current: number, needed: number): number {
  let capacity = Math.max(1, current) * 2;
  while (capacity < needed) {
    capacity *= 2;
  }
  return capacity;
}

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 64) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) {
      return;
    }
    const next = new Uint8Array(grownCapacity(this.buffer.length, this.length + extra));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer[this.length++] = value;
    return this;
  }

  /** Unsigned integer in [0, 2^53). */
  varint(value: number): this {
    this.ensure(8);
    if (value < 0x80000000) {
      // Common case: 32-bit shifts instead of division.
      let small = value | 0;
      while (small >= 0x80) {
        this.buffer[this.length++] = (small & 0x7f) | 0x80;
        small >>>= 7;
      }
      this.buffer[this.length++] = small;
      return this;
    }
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
    return this;
  }

  /** Signed integer in (-2^52, 2^52), zigzag-mapped so small magnitudes stay short. */
  zigzag(value: number): this {
    return this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  f64(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.ensure(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A copy trimmed to the written length: callers keep it, the writer may be reused. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  get byteLength(): number {
    return this.length;
  }
}

export class ByteReader {
  private offset = 0;
  private bytes: Uint8Array;
  /** Made on the first float read: sketch and HLL blocks never need it. */
  private view: DataView | undefined;

  constructor(
    bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.bytes = bytes;
  }

  /** Points the reader at new bytes: readers on hot read paths are reused, not allocated per value. */
  load(bytes: Uint8Array): this {
    this.bytes = bytes;
    this.view = undefined;
    this.offset = 0;
    return this;
  }

  fail(detail: string): never {
    throw new PanecastError('PANECAST_ERR_PARTIAL_FORMAT', { what: this.what, detail });
  }

  u8(): number {
    if (this.offset >= this.bytes.length) {
      this.fail(`truncated at byte ${this.offset}`);
    }
    return this.bytes[this.offset++] as number;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        return value;
      }
      scale *= 0x80;
    }
    return this.fail(`varint longer than 8 bytes at byte ${this.offset}`);
  }

  zigzag(): number {
    const raw = this.varint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  f64(): number {
    if (this.offset + 8 > this.bytes.length) {
      this.fail(`truncated float at byte ${this.offset}`);
    }
    this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  bytesOf(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) {
      this.fail(`truncated block of ${length} bytes at byte ${this.offset}`);
    }
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  /** The read offset; settable to re-read a header. */
  get position(): number {
    return this.offset;
  }

  set position(value: number) {
    this.offset = value;
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  /** Rejects trailing garbage: a partial is exactly one encoded value. */
  end(): void {
    if (!this.done) {
      this.fail(`${this.bytes.length - this.offset} unexpected trailing bytes`);
    }
  }
}
