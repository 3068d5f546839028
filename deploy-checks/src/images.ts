/** Image references: pinned means a digest, or a tag naming a patch release (x.y.z), never a floating tag. */

export interface ImageRef {
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImage(ref: string): ImageRef {
  const [withTag, digest] = ref.split('@') as [string, string | undefined];
  const slash = withTag.lastIndexOf('/');
  const colon = withTag.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    name: hasTag ? withTag.slice(0, colon) : withTag,
    ...(hasTag ? { tag: withTag.slice(colon + 1) } : {}),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** Why `ref` is not pinned, or undefined when it is. */
export function unpinned(ref: ImageRef): string | undefined {
  if (ref.digest !== undefined) {
    return /^sha256:[0-9a-f]{64}$/.test(ref.digest) ? undefined : `digest "${ref.digest}" is not sha256:<64 hex>`;
  }
  if (ref.tag === undefined) {
    return 'has no tag (that means :latest)';
  }
  if (!/\d+\.\d+\.\d+/.test(ref.tag)) {
    return `tag "${ref.tag}" floats; pin a patch release (x.y.z) or a digest`;
  }
  return undefined;
}

/** The x.y.z a pinned tag names, e.g. `v1.151.0` → `1.151.0`. */
export function tagVersion(ref: ImageRef): string | undefined {
  return ref.tag === undefined ? undefined : /(\d+\.\d+\.\d+)/.exec(ref.tag)?.[1];
}
