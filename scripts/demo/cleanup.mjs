// One place that undoes everything the demo started, whatever way it ends: normal exit, a failure,
// Ctrl-C (SIGINT), SIGTERM/SIGHUP, an uncaught error. Steps run once, newest first, each with its own timeout.
const steps = [];
let running;

/** Registers an undo step; returns a function that runs and unregisters it early. */
export function onCleanup(label, fn) {
  const step = { label, fn, done: false };
  steps.push(step);
  return async () => {
    if (step.done) return;
    step.done = true;
    await runStep(step);
  };
}

async function runStep(step, log) {
  try {
    await Promise.race([
      Promise.resolve().then(step.fn),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 10_000).unref()),
    ]);
  } catch (err) {
    (log ?? console.error)(`cleanup: ${step.label}: ${err?.message ?? err}`);
  }
}

/** Runs every remaining step (newest first). Safe to call more than once: later calls wait for the first. */
export function cleanupAll(log) {
  if (!running) {
    running = (async () => {
      for (const step of [...steps].reverse()) {
        if (step.done) continue;
        step.done = true;
        await runStep(step, log);
      }
    })();
  }
  return running;
}

/**
 * Signals and crashes end the demo through cleanupAll(). `exitCode` is what a signal exits with
 * (130 for Ctrl-C, as shells expect). A second Ctrl-C while cleaning up exits at once.
 */
export function installSignalHandlers(log = console.error) {
  let signalled = 0;
  const onSignal = (sig, code) => {
    signalled++;
    if (signalled > 1) {
      log(`\n${sig} again: exiting without waiting for cleanup`);
      process.exit(code);
    }
    log(`\n${sig}: stopping the demo and cleaning up …`);
    cleanupAll(log).finally(() => {
      log('stopped: servers, VS Code and temp files are gone.');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('SIGHUP', () => onSignal('SIGHUP', 129));
  process.on('uncaughtException', (err) => {
    log(`demo: unexpected error: ${err?.stack ?? err}`);
    cleanupAll(log).finally(() => process.exit(1));
  });
  process.on('unhandledRejection', (err) => {
    log(`demo: unexpected error: ${err?.stack ?? err}`);
    cleanupAll(log).finally(() => process.exit(1));
  });
}
