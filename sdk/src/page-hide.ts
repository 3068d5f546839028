/**
 * Browsers: the moment to send what is queued before the page goes away.
 * `visibilitychange` to hidden is the last event reliably fired on mobile
 * (tab switch, app switch, then a kill); `pagehide` covers navigation and
 * the back-forward cache. Either may come without the other, or both.
 */
export function onPageHide(handler: () => void): () => void {
  const doc = (globalThis as { document?: Document }).document;
  const win = (globalThis as { window?: Window }).window;
  if (doc === undefined || win === undefined || typeof doc.addEventListener !== 'function') {
    return () => {};
  }
  const visibility = () => {
    if (doc.visibilityState === 'hidden') {
      handler();
    }
  };
  doc.addEventListener('visibilitychange', visibility);
  win.addEventListener('pagehide', handler);
  return () => {
    doc.removeEventListener('visibilitychange', visibility);
    win.removeEventListener('pagehide', handler);
  };
}
