// Experiment hook for `npm run bench -- freshness --in-progress=N`, preloaded
// into the backend after register.cjs: every live tail emits up to N
// in-progress windows per poll instead of the composer's 1, to measure what
// that setting would do to freshness without editing the composer. Nothing
// in the product loads this file.
const windows = Number(process.env.PANECAST_BENCH_IN_PROGRESS);
if (!Number.isInteger(windows) || windows < 1) {
  throw new Error('PANECAST_BENCH_IN_PROGRESS must be a whole number ≥ 1');
}
const { LiveTail } = require('../../backend/src/window/live-tail.ts');
const poll = LiveTail.prototype.poll;
LiveTail.prototype.poll = function pollWithMoreInProgress(...args) {
  this.inProgress = windows;
  return poll.apply(this, args);
};
