// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// @grafana/ui's Combobox sizes its menu with canvas text metrics and a virtualised list that reads
// element sizes; jsdom has neither. Give them fixed, plausible figures so the menu renders its options.
HTMLCanvasElement.prototype.getContext = () => ({ measureText: (text) => ({ width: String(text).length * 8 }) });
Object.defineProperties(HTMLElement.prototype, {
  offsetHeight: { configurable: true, get: () => 400 },
  offsetWidth: { configurable: true, get: () => 400 },
  clientHeight: { configurable: true, get: () => 400 },
  clientWidth: { configurable: true, get: () => 400 },
});
Element.prototype.getBoundingClientRect = () => ({
  x: 0, y: 0, top: 0, left: 0, bottom: 400, right: 400, width: 400, height: 400, toJSON: () => ({}),
});

// Used by @grafana/ui's menus to follow visibility; jsdom has no layout, so it never reports anything.
class NoopIntersectionObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
Object.assign(global, { IntersectionObserver: NoopIntersectionObserver });
