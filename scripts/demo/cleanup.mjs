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
  const debug = process.env.TOKEN_RELAY_DEBUG
    ? (l) => (log ?? console.error)(`cleanup: ${l} (${new Date().toISOString()})`)
    : () => {};
  debug(`${step.label} …`);
  try {
    await Promise.race([
      Promise.resolve().then(step.fn),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 10_000).unref()),
    ]);
  } catch (err) {
    (log ?? console.error)(`cleanup: ${step.label}: ${err?.message ?? err}`);
  }
  debug(`${step.label} done`);
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
let interrupted = false;
/** True once a signal asked the demo to stop (a run that fails after that was interrupted, not broken). */
export function wasInterrupted() {
  return interrupted;
}

export function installSignalHandlers(log = console.error) {
  let signalled = 0;
  const onSignal = (sig, code) => {
    signalled++;
    interrupted = true;
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

/**
 * Stops a code-server started by scripts/lib/codeServer.mjs, then makes sure nothing of its process group is left
 * (an extension host caught mid-start can outlive the server): SIGKILL to that group id, ignored when it is empty.
 */
export async function stopCodeServer(cs) {
  try {
    await cs.stop();
  } finally {
    try {
      process.kill(-cs.pid, 'SIGKILL');
    } catch {
      /* the group is gone: the normal case */
    }
  }
}

/**
 * Debian Chromium for the demo's drivers: codeServer.mjs's executable and flags, but with Playwright's own
 * SIGINT/SIGTERM/SIGHUP handlers off — they would close the browser and exit the process before our cleanup
 * stops code-server and the servers (a Ctrl-C then leaves an extension host behind).
 */
export async function launchDemoChromium() {
  const { CHROMIUM_PATH, CHROMIUM_ARGS, launchChromium } = await import('../lib/codeServer.mjs');
  const { existsSync } = await import('node:fs');
  if (!existsSync(CHROMIUM_PATH)) return launchChromium({ headless: true }); // its error message names the fix
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}
