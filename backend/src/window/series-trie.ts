/**
 * The registry's trie (series.ts) off the hot path: finding, setting and
 * removing a tuple's leaf. Events walk the trie inline in `idOf`; these run
 * when a tuple is new, refused, closed or freed.
 */

/** One level per dimension, keyed by label; a leaf holds a series id, or -1 (rerouted to `__other__`). */
export type Trie = Map<string, Trie | number>;

function leafLabel(values: readonly string[]): string {
  return values.length === 0 ? '' : (values[values.length - 1] as string);
}

/** The trie level holding the tuple's leaf; created on the way when `create`. */
function leafLevel(root: Trie, values: readonly string[], create: boolean): Trie | undefined {
  let level = root;
  for (let i = 0; i < values.length - 1; i++) {
    const label = values[i] as string;
    let next = level.get(label) as Trie | undefined;
    if (next === undefined) {
      if (!create) {
        return undefined;
      }
      next = new Map();
      level.set(label, next);
    }
    level = next;
  }
  return level;
}

export function leafOf(root: Trie, values: readonly string[]): number | undefined {
  return leafLevel(root, values, false)?.get(leafLabel(values)) as number | undefined;
}

export function setLeaf(root: Trie, values: readonly string[], value: number): void {
  (leafLevel(root, values, true) as Trie).set(leafLabel(values), value);
}

/** Removes the tuple's leaf and the levels it leaves empty. */
export function unlink(root: Trie, values: readonly string[]): void {
  const path: Trie[] = [root];
  for (let i = 0; i < values.length - 1; i++) {
    const next = (path[i] as Trie).get(values[i] as string) as Trie | undefined;
    if (next === undefined) {
      return;
    }
    path.push(next);
  }
  (path[path.length - 1] as Trie).delete(leafLabel(values));
  for (let i = path.length - 1; i > 0; i--) {
    if ((path[i] as Trie).size > 0) {
      break;
    }
    (path[i - 1] as Trie).delete(values[i - 1] as string);
  }
}
