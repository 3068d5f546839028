/**
 * The DOM side of tooltip pinning: clicks on the plot (told apart from the drags that zoom),
 * the chart's keys, and, while a tooltip is pinned, presses and Escape anywhere on the page.
 * Each function adds its listeners and returns their removal; the controller decides what a
 * click or a key does (render/pin.ts holds the state).
 */
import { isClick } from './pin';

/**
 * Calls `onClick` on a click of the plot area itself (not of something drawn over it) without
 * Ctrl/⌘ (Grafana keeps those for its own gestures), when the press and release were a click
 * rather than a drag: the browser fires `click` after a drag-zoom too.
 */
export function listenForClicks(over: HTMLElement, onClick: (press: MouseEvent) => void): () => void {
  let press: MouseEvent | undefined;
  const down = (event: MouseEvent) => {
    press = event.button === 0 ? event : undefined;
  };
  const click = (event: MouseEvent) => {
    const start = press;
    press = undefined;
    if (start === undefined || event.target !== over || event.ctrlKey || event.metaKey) {
      return;
    }
    if (isClick({ x: start.clientX, y: start.clientY }, { x: event.clientX, y: event.clientY })) {
      onClick(start);
    }
  };
  over.addEventListener('mousedown', down);
  over.addEventListener('click', click);
  return () => {
    over.removeEventListener('mousedown', down);
    over.removeEventListener('click', click);
  };
}

/** What the focused chart's keys do. */
export interface ChartKeys {
  /** Arrow left / right: the cursor to the previous / next window. */
  step(direction: -1 | 1): void;
  /** Enter: pin the tooltip where the cursor is, or unpin it. */
  toggle(): void;
  /** Escape: unpin. */
  escape(): void;
  /** Focus left the chart. */
  blur(): void;
}

export function listenForKeys(root: HTMLElement, keys: ChartKeys): () => void {
  const keydown = (event: KeyboardEvent) => {
    if (event.target !== root || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    switch (event.key) {
      case 'ArrowLeft':
      case 'ArrowRight':
        keys.step(event.key === 'ArrowLeft' ? -1 : 1);
        break;
      case 'Enter':
        keys.toggle();
        break;
      case 'Escape':
        keys.escape();
        break;
      default:
        return;
    }
    // The dashboard must not scroll or act on the keys the chart used.
    event.preventDefault();
  };
  const blur = () => keys.blur();
  root.addEventListener('keydown', keydown);
  root.addEventListener('blur', blur);
  return () => {
    root.removeEventListener('keydown', keydown);
    root.removeEventListener('blur', blur);
  };
}

/**
 * While a tooltip is pinned (as Grafana's): a press anywhere but inside the tooltip, or Escape
 * anywhere, unpins it. Capture phase, so the press that unpins is seen before the chart's own
 * handlers (which must then not pin again on the same click).
 */
export function listenWhilePinned(
  doc: Document,
  inside: (target: EventTarget | null) => boolean,
  unpin: (reason: 'outside' | 'escape', event: Event) => void
): () => void {
  const down = (event: MouseEvent) => {
    if (!inside(event.target)) {
      unpin('outside', event);
    }
  };
  const key = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      unpin('escape', event);
    }
  };
  doc.addEventListener('mousedown', down, true);
  doc.addEventListener('keydown', key, true);
  return () => {
    doc.removeEventListener('mousedown', down, true);
    doc.removeEventListener('keydown', key, true);
  };
}
