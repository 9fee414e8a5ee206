// Jobs for the analysis pool's tests (worker threads run JavaScript, so this is not TypeScript).
'use strict';
const { parentPort, threadId } = require('node:worker_threads');

/** As services/analysis-pool's poolJob: say the job began (its time limit starts now), then run it. */
const job =
  (fn) =>
  ({ token, input }) => {
    parentPort.postMessage({ cellrigAnalysisJobStarted: token });
    return fn(input);
  };

/** Holds its worker's CPU for `ms` (forever when ms is null), then answers with the worker's thread id. */
exports.spin = job(({ ms }) => {
  const end = ms === null ? Number.POSITIVE_INFINITY : Date.now() + ms;
  while (Date.now() < end) {
    // busy, as a fit is
  }
  return { threadId };
});

exports.fail = job(({ message }) => {
  throw new Error(message);
});

/** Allocates until the worker's heap limit ends it. */
exports.hog = job(() => {
  const kept = [];
  for (;;) kept.push(new Array(1e6).fill(kept.length));
});
