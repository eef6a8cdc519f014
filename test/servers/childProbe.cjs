// Preloaded (`node --require`) into CLI child processes by the bound tests (test/integration/watchBounds.test.ts):
// with --expose-gc and TR_TEST_GC_MS set, a garbage collection every TR_TEST_GC_MS ms (issue 15 item 8: a timeout
// must survive GC); on exit, the process's peak RSS on stderr as `TR_MAXRSS_KB=<n>`.
'use strict';
const gcMs = Number(process.env.TR_TEST_GC_MS);
if (typeof globalThis.gc === 'function' && gcMs > 0) setInterval(() => globalThis.gc(), gcMs).unref();
process.on('exit', () => {
  try {
    require('node:fs').writeSync(2, `\nTR_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
  } catch {
    // stderr closed: nothing to report
  }
});
