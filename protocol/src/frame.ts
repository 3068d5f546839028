/**
 * Cheap checks on a raw frame before JSON.parse sees it, so the parser's work
 * is bounded by the limits whatever arrives: one pass each, no allocation.
 */

/**
 * Whether `text` encodes to more than `maxBytes` UTF-8 bytes. Most frames are
 * decided by their length alone (a UTF-16 unit is 1 to 3 bytes); the rest are
 * counted, stopping as soon as the limit is passed. A lone surrogate counts
 * as the 3 bytes of the replacement character it is encoded as.
 */
export function exceedsBytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) {
    return true;
  }
  if (text.length * 3 <= maxBytes) {
    return false;
  }
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      bytes += 1;
    } else if (unit < 0x800) {
      bytes += 2;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
    if (bytes > maxBytes) {
      return true;
    }
  }
  return false;
}

/**
 * Whether arrays and objects nest deeper than `maxDepth`, counting brackets
 * outside strings. Exact for valid JSON; on invalid JSON it may answer either
 * way, which is harmless: JSON.parse rejects that text next. Run before
 * JSON.parse so `[[[[…` a megabyte deep costs one scan, not a deep parse.
 */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (inString) {
      if (unit === 0x5c /* \ */) {
        i++;
      } else if (unit === 0x22 /* " */) {
        inString = false;
      }
    } else if (unit === 0x22) {
      inString = true;
    } else if (unit === 0x7b /* { */ || unit === 0x5b /* [ */) {
      if (++depth > maxDepth) {
        return true;
      }
    } else if (unit === 0x7d /* } */ || unit === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** Client text for an error message: at most `max` units, control and non-ASCII characters escaped, quoted. */
export function quote(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return JSON.stringify(cut).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
