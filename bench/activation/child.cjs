'use strict';
/**
 * One activation measurement in a fresh Node process (spawned by bench/activation.ts):
 *   node bench/activation/child.cjs <lazy|eager> <extension root> <storage dir>
 * Times require('dist/extension.js') + await activate(context) with a `vscode` stand-in.
 * `eager` first requires dist/vendor/{jsforce,imapflow,mailparser}.js inside the timed span: the
 * reference for an extension that loads its libraries at start-up.
 * Then (not part of the figures) the first command, Show Log, started right after activate() returns: its
 * synchronous part requires the on-demand bundle dist/extension-lazy.js, the cost activation hands on.
 * Prints one JSON line on stdout: { ms, requireMs, activateMs, firstCommandMs, loadedAtActivate, loadedAfter, commands, missing }.
 */
const Module = require('node:module');
const path = require('node:path');

const [mode, root, storageDir] = process.argv.slice(2);
if (!['lazy', 'eager'].includes(mode) || !root || !storageDir) {
  console.error('usage: child.cjs <lazy|eager> <extension root> <storage dir>');
  process.exit(2);
}

const standinPath = path.join(__dirname, 'vscode-standin.cjs');
const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode') return standinPath;
  return origResolve.call(this, request, ...rest);
};
// Load the stand-in before the clock starts: VS Code provides its API object for free.
const vscode = require('vscode');
// The extension host has long loaded these Node built-ins for itself (networking, processes, crypto,
// proxies, file watching) when an extension activates; a fresh `node` has not. Load them before the clock
// starts too, so both modes time the extension's own code, not Node's start-up.
for (const m of [
  'fs',
  'fs/promises',
  'path',
  'os',
  'url',
  'util',
  'events',
  'stream',
  'crypto',
  'child_process',
  'net',
  'tls',
  'http',
  'https',
  'zlib',
  'dns',
  'timers/promises',
  'string_decoder',
  'buffer',
  'assert',
  'worker_threads',
]) {
  require(`node:${m}`);
}
const { createContext, missing, registeredCommands } = vscode.__standin;
const context = createContext(root, storageDir);

const vendorDir = path.join(root, 'dist', 'vendor');
const vendorLoaded = () =>
  Object.keys(require.cache)
    .filter(
      (f) => f.startsWith(vendorDir + path.sep) || /[\\/]node_modules[\\/](jsforce|imapflow|mailparser)[\\/]/.test(f),
    )
    .map((f) =>
      f.startsWith(vendorDir) ? path.basename(f, '.js') : f.match(/node_modules[\\/](jsforce|imapflow|mailparser)/)[1],
    )
    .filter((v, i, a) => a.indexOf(v) === i)
    .sort();

(async () => {
  const t0 = performance.now();
  if (mode === 'eager') {
    for (const lib of ['jsforce', 'imapflow', 'mailparser']) require(path.join(vendorDir, `${lib}.js`));
  }
  const tVendor = performance.now();
  const ext = require(path.join(root, 'dist', 'extension.js'));
  const tRequired = performance.now();
  const ret = ext.activate(context);
  if (ret && typeof ret.then === 'function') await ret;
  const tActivated = performance.now();
  const ms = tActivated - t0;
  const requireMs = tRequired - tVendor;
  const activateMs = tActivated - tRequired;
  const loadedAtActivate = vendorLoaded();
  // The first command, started at once (before the extension's own after-activation work can load anything):
  // its synchronous part requires dist/extension-lazy.js, the cost activation hands on to the first command.
  const lazyBundle = path.join(root, 'dist', 'extension-lazy.js');
  const lazyAtActivation = Boolean(require.cache[lazyBundle]);
  let firstCommandMs = null;
  let firstCommand;
  if (mode === 'lazy' && !lazyAtActivation && registeredCommands.has('tokenRelay.showLog')) {
    const tc = performance.now();
    firstCommand = registeredCommands.get('tokenRelay.showLog')();
    firstCommandMs = performance.now() - tc;
  }
  await firstCommand;
  // Anything the extension defers (a first health check, …) gets a moment to run, so we can report
  // whether a heavy library is loaded shortly after activation (not timed).
  await new Promise((r) => setTimeout(r, 300));
  const loadedAfter = vendorLoaded();
  process.stdout.write(
    JSON.stringify({
      ms,
      requireMs,
      activateMs,
      firstCommandMs,
      lazyBundleLoadedByActivation: lazyAtActivation,
      loadedAtActivate: mode === 'eager' ? [] : loadedAtActivate,
      loadedAfter: mode === 'eager' ? [] : loadedAfter,
      commands: registeredCommands.size,
      missing: [...missing].sort(),
    }) + '\n',
  );
  try {
    if (typeof ext.deactivate === 'function') await ext.deactivate();
    for (const d of context.subscriptions) if (d && typeof d.dispose === 'function') d.dispose();
  } catch {
    /* teardown problems do not matter for the measurement */
  }
  process.exit(0);
})().catch((err) => {
  console.error(`activation failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
