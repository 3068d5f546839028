/**
 * The walk over a V8 CPU profile that the e2e and fanout summaries share:
 * self time per node (idle left out), the source each sample is charged to
 * (a builtin such as JSON.parse or a socket write goes to its nearest JS
 * caller), and the top-N tables with shares of the busy time.
 */

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  node: ProfileNode;
  ms: number;
  /** The frame's own URL, the nearest JS caller's for a builtin, '' when there is none. */
  chargedUrl: string;
  /** This node, then its callers up to the root. */
  stack(): Iterable<ProfileNode>;
}

/** Self time of every node that ran, idle excluded, with the busy total. */
export function selfTimes(profile: CpuProfile): { busyMs: number; times: SelfTime[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parent.set(child, node);
    }
  }
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  let busyMs = 0;
  const times: SelfTime[] = [];
  for (const [id, ms] of self) {
    const node = byId.get(id) as ProfileNode;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') {
      continue;
    }
    busyMs += ms;
    let charged: ProfileNode | undefined = node;
    if (url === '' && !functionName.startsWith('(')) {
      // A builtin (JSON.parse, Buffer ops, a socket write): its nearest JS caller's source.
      charged = parent.get(id);
      while (charged !== undefined && charged.callFrame.url === '') {
        charged = parent.get(charged.id);
      }
    }
    times.push({
      node,
      ms,
      chargedUrl: charged?.callFrame.url ?? '',
      *stack() {
        for (let at: ProfileNode | undefined = node; at !== undefined; at = parent.get(at.id)) {
          yield at;
        }
      },
    });
  }
  return { busyMs, times };
}

/** The source a sample counts for: `sourceOf` its charged URL, a pseudo-frame's own name, or '(native)'. */
export function sourceOfSample(time: SelfTime, sourceOf: (url: string) => string): string {
  const { functionName, url } = time.node.callFrame;
  if (url === '' && functionName.startsWith('(')) {
    return functionName;
  }
  return time.chargedUrl === '' ? '(native)' : sourceOf(time.chargedUrl);
}

/** The `n` largest entries, in ms and share of `busyMs` (one decimal). */
export function topOf(map: ReadonlyMap<string, number>, n: number, busyMs: number): Array<{ key: string; ms: number; share: number }> {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, ms]) => ({ key, ms: Math.round(ms), share: Math.round((ms / busyMs) * 1000) / 10 }));
}
