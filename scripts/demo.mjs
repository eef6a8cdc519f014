#!/usr/bin/env node
// `npm run demo`: the whole Token Relay story on 127.0.0.1, nothing to configure.
//   - the Salesforce emulator with a demo org and user,
//   - a mailbox: Dovecot when installed, else the embedded in-process IMAP server,
//   - a demo workspace (temp dir) whose .env holds an expired token,
//   - VS Code with the extension loaded from this repo: the desktop `code` when it is on PATH (own user-data dir),
//     else code-server (installed on first use into ~/.cache/token-relay) opened in your browser.
// Ctrl-C stops everything and deletes the temp dirs.
//
// After the token reset, the OAuth scene: the org switches SOAP login() off, the user runs Switch to OAuth, and a
// small app reading .env keeps working while the emulator's 8-second access tokens expire (Token Relay refreshes).
//
// `npm run demo -- --headless`: the same flow driven by headless Chromium like a person (the end-to-end test);
// screenshots of every step go to --screens (default ./demo-screens); the exit code is the verdict.
//
// Options:
//   --headless            drive code-server with headless Chromium and exit 0 (pass) / 1 (fail)
//   --screens DIR         where --headless writes its screenshots (default demo-screens/)
//   --timeout SECONDS     --headless: global time limit (default 300, includes a first-time code-server install)
//   --code-server         use code-server even when `code` is on PATH
//   --no-browser          code-server: print the URL, do not try to open a browser
//   --imap auto|dovecot|embedded   which mailbox server (default auto: Dovecot when installed)
//   --keep                keep the temp dirs (workspace, code-server profile) for debugging
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  watchFile,
  unwatchFile,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupAll, installSignalHandlers, onCleanup, stopCodeServer, wasInterrupted } from './demo/cleanup.mjs';
import { createDemoWorkspace } from './demo/workspace.mjs';
import { loadDemoStack } from './demo/loadStack.mjs';
import { demoExtensionEnv, demoWorkbenchSettings, parseEnvFile, readSetupStatus } from './demo/env.mjs';
import { installIntoCodeServer, makeDemoSetupExtension, packDemoSetupExtension, workbenchUrl } from './demo/bundle.mjs';
import { runAppReader } from './demo/oauthScene.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();

// ---------------------------------------------------------------------------------------------- arguments
const argv = process.argv.slice(2);
function usage(msg) {
  if (msg) console.error(`demo: ${msg}`);
  console.error(
    'usage: npm run demo [-- --headless [--screens DIR] [--timeout S]] [--code-server] [--no-browser] [--imap auto|dovecot|embedded] [--keep]',
  );
  process.exit(2);
}
const opts = {
  headless: false,
  screens: 'demo-screens',
  timeout: 300,
  codeServer: false,
  browser: true,
  imap: 'auto',
  keep: false,
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
  if (a === '--headless') opts.headless = true;
  else if (a === '--screens') opts.screens = value();
  else if (a === '--timeout') opts.timeout = Number(value());
  else if (a === '--code-server') opts.codeServer = true;
  else if (a === '--no-browser') opts.browser = false;
  else if (a === '--imap') opts.imap = value();
  else if (a === '--keep') opts.keep = true;
  else if (a === '--help' || a === '-h') usage();
  else usage(`unknown option ${a}`);
}
if (!Number.isFinite(opts.timeout) || opts.timeout <= 0) usage('--timeout must be a positive number of seconds');
if (!['auto', 'dovecot', 'embedded'].includes(opts.imap)) usage('--imap must be auto, dovecot or embedded');

// ---------------------------------------------------------------------------------------------- console
const tty = process.stderr.isTTY && !process.env.NO_COLOR;
const c = (code) => (s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = c('1');
const dim = c('2');
const green = c('32');
const red = c('31');
const cyan = c('36');
const secs = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (line) => process.stderr.write(`${line}\n`);
const step = (n, total, what, detail = '') =>
  log(`${bold(`[${n}/${total}]`)} ${what}${detail ? ` ${dim(detail)}` : ''}`);

installSignalHandlers((l) => log(l));

// ---------------------------------------------------------------------------------------------- helpers
function newestMtime(dir) {
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

/** Bundles dist/ when it is missing or older than src/, package.json or esbuild.mjs. */
function ensureBuilt() {
  const outputs = [
    'dist/extension.js',
    'dist/extension-lazy.js',
    'dist/vendor/jsforce.js',
    'dist/vendor/imapflow.js',
    'dist/vendor/mailparser.js',
  ].map((f) => path.join(root, f));
  const missing = outputs.some((f) => !existsSync(f));
  const built = missing ? 0 : Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const sources = Math.max(
    newestMtime(path.join(root, 'src')),
    statSync(path.join(root, 'package.json')).mtimeMs,
    statSync(path.join(root, 'esbuild.mjs')).mtimeMs,
  );
  if (!missing && built >= sources) return 'dist/ is up to date';
  const res = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0)
    throw new Error('building dist/ failed (node esbuild.mjs); fix the errors above and run the demo again');
  return missing ? 'built dist/ (first run)' : 'rebuilt dist/ (sources changed)';
}

function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Opens a URL in the user's browser when there is a desktop to open it on. */
function openInBrowser(url) {
  const hasDesktop =
    process.platform === 'darwin' || process.platform === 'win32' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
  if (!hasDesktop) return false;
  const cmd =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? 'explorer.exe'
        : onPath('xdg-open')
          ? 'xdg-open'
          : undefined;
  if (!cmd) return false;
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `marker` (a unique temp path): what a detached desktop VS Code leaves. */
function pidsMentioning(marker) {
  const pids = [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker)) pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/**
 * code-server for the demo: a data dir inside the demo's temp dir, the demo setup extension INSTALLED there
 * (code-server loads a single development extension, and that is this repository), then started.
 */
async function startDemoCodeServer(tmp, setupExtension, extEnv) {
  const { startCodeServer } = await import('./lib/codeServer.mjs');
  const dataDir = path.join(tmp, 'code-server');
  const vsix = await packDemoSetupExtension(setupExtension, path.join(tmp, 'token-relay-demo-setup.vsix'));
  await installIntoCodeServer(vsix, dataDir);
  const cs = await startCodeServer({
    dataDir,
    env: extEnv,
    settings: demoWorkbenchSettings(),
    log: (l) => log(dim(`  [code-server] ${l}`)),
  });
  onCleanup('code-server', () => stopCodeServer(cs));
  return cs;
}

// ---------------------------------------------------------------------------------------------- main
async function main() {
  const useDesktop = !opts.headless && !opts.codeServer && onPath('code');
  const total = 5;
  log(bold(`Token Relay for Salesforce: demo${opts.headless ? ' (headless end-to-end test)' : ''}`));

  step(1, total, 'Extension bundle', ensureBuilt());

  // tsx runs the TypeScript support servers in this process (src/emulator, src/imapServer: never in the product).
  const startDemoStack = await loadDemoStack();
  // code-server maps links to localhost/127.0.0.1 through its own /proxy/<port>/ path, which breaks the reset
  // page's form; any other loopback address (Linux routes all of 127/8 to lo) is opened as it is.
  const emulatorHost = !useDesktop && process.platform === 'linux' ? '127.0.0.2' : '127.0.0.1';
  const stack = await startDemoStack({ imap: opts.imap, emulatorHost });
  onCleanup('servers', () => stack.stop());
  step(
    2,
    total,
    'Salesforce emulator',
    `${stack.org.loginUrl}  org "${stack.org.orgName}", user ${stack.org.username}`,
  );
  step(
    3,
    total,
    'Mailbox',
    `${stack.mailbox.kind === 'dovecot' ? 'Dovecot' : 'embedded IMAP server'} on ${stack.mailbox.host}:${stack.mailbox.port} (STARTTLS), user "${stack.mailbox.user}"`,
  );

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'token-relay-demo-'));
  onCleanup('temp dir', () => {
    if (opts.keep) log(dim(`kept ${tmp} (--keep)`));
    else rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });
  const wsDir = path.join(tmp, 'workspace');
  mkdirSync(wsDir);
  const ws = createDemoWorkspace(wsDir, {
    loginUrl: stack.org.loginUrl,
    username: stack.org.username,
    password: stack.org.password,
    expiredToken: stack.org.expiredToken,
    mailbox: {
      host: stack.mailbox.host,
      port: stack.mailbox.port,
      security: 'starttls',
      user: stack.mailbox.user,
      insecureTls: false,
    },
    resetTimeoutSeconds: opts.headless ? Math.min(300, opts.timeout) : 600,
  });
  step(4, total, 'Demo workspace', `${wsDir}  (.env holds an expired SF_SECURITY_TOKEN)`);

  const extEnv = demoExtensionEnv(stack, { tmp });
  // The setup step that runs in the extension host (a throwaway second extension): hands the demo mailbox to Token
  // Relay (SecretStorage) and opens the Notifications list.
  const setupExtension = await makeDemoSetupExtension(path.join(tmp, 'demo-setup-extension'));

  if (opts.headless) {
    const { runHeadless } = await import('./demo/headless.mjs');
    step(5, total, 'code-server', 'starting (installs into ~/.cache/token-relay on first use) …');
    const cs = await startDemoCodeServer(tmp, setupExtension, extEnv);
    log(dim(`  code-server ${cs.url} (pid ${cs.pid})`));
    const screens = path.resolve(root, opts.screens);
    const verdict = await runHeadless({
      root,
      codeServer: cs,
      stack,
      workspace: ws,
      setupExtension,
      tmp,
      screensDir: screens,
      deadline: started + opts.timeout * 1000,
      log,
    });
    if (wasInterrupted()) {
      await cleanupAll(log);
      return; // the signal handler exits once everything is stopped
    }
    log('');
    for (const check of verdict.checks)
      log(`  ${check.ok ? green('✔') : red('✘')} ${check.name}${check.detail ? dim(`  ${check.detail}`) : ''}`);
    log(`  screenshots: ${path.relative(process.cwd(), screens) || '.'}/ (${verdict.screenshots.length})`);
    for (const [name, ms] of verdict.timings) log(dim(`  ${name}: ${(ms / 1000).toFixed(1)}s`));
    log(
      verdict.ok
        ? green(bold(`PASS: the demo flow works end to end (${secs()})`))
        : red(bold(`FAIL: ${verdict.reason} (${secs()})`)),
    );
    if (!verdict.ok && verdict.diagnostics) log(dim(verdict.diagnostics));
    await cleanupAll(log);
    process.exit(verdict.ok ? 0 : 1);
  }

  // ------------------------------------------------------------------ interactive
  let vscodeExited;
  const vscodeDone = new Promise((resolve) => (vscodeExited = resolve));
  if (useDesktop) {
    const profile = path.join(tmp, 'vscode-profile');
    // The same user settings as code-server's (the demo org's 8-second session timeout among them).
    mkdirSync(path.join(profile, 'user-data', 'User'), { recursive: true });
    writeFileSync(
      path.join(profile, 'user-data', 'User', 'settings.json'),
      JSON.stringify(demoWorkbenchSettings(), null, 2),
    );
    const args = [
      '--new-window',
      '--wait',
      '--user-data-dir',
      path.join(profile, 'user-data'),
      '--extensions-dir',
      path.join(profile, 'extensions'),
      `--extensionDevelopmentPath=${root}`,
      `--extensionDevelopmentPath=${setupExtension}`,
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      wsDir,
    ];
    const child = spawn(useDesktop, args, { env: { ...process.env, ...extEnv }, detached: true, stdio: 'ignore' });
    child.on('exit', () => vscodeExited('VS Code closed'));
    child.on('error', (err) => vscodeExited(`could not start ${useDesktop}: ${err.message}`));
    onCleanup('VS Code', async () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      // The desktop app detaches from its launcher; its processes carry our unique profile path.
      for (const pid of pidsMentioning(profile)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    });
    step(5, total, 'VS Code', `${useDesktop} with its own profile in ${profile} and the extension from ${root}`);
  } else {
    step(5, total, 'code-server', 'starting (installs into ~/.cache/token-relay on first use, a few minutes) …');
    const cs = await startDemoCodeServer(tmp, setupExtension, extEnv);
    const url = workbenchUrl(cs.url, { folder: wsDir, extensionDevelopmentPaths: [root] });
    const opened = opts.browser && openInBrowser(url);
    log(`  ${opened ? 'opened in your browser:' : 'open this in your browser:'}\n  ${cyan(url)}`);
  }

  log('');
  log(bold('Now, in VS Code:'));
  log(`  1. A notification offers to import the org from .env: click ${bold('Import')}. The status bar (bottom left)`);
  log(`     then says ${bold('Login rejected')}: the demo .env holds an expired token.`);
  log(`  2. Press F1 (or Ctrl+Shift+P) and run ${bold('Salesforce: Reset Token')}.`);
  if (useDesktop)
    log(
      `  3. The emulator's "Reset My Security Token" page opens in your browser: click ${bold('Reset Security Token')}.`,
    );
  else {
    log(
      `  3. The emulator's "Reset My Security Token" page opens (code-server first asks whether to open the external`,
    );
    log(`     website: ${bold('Open')}): click ${bold('Reset Security Token')}.`);
  }
  log(
    `  4. Watch the notification: the token email is caught, .env is updated, the status bar says ${bold('Connected')}.`,
  );
  log(`  5. Life after tokens: once .env has the new token, the demo org switches SOAP login() off (Summer '27). Run`);
  log(
    `     ${bold('Salesforce: Test Connection')}: the status bar says ${bold('SOAP login disabled')}; click ${bold('Switch to OAuth')}.`,
  );
  log(`  6. Paste the demo External Client App's consumer key: ${cyan(stack.oauth.clientId)}`);
  log(
    `     and log in on the emulator's page as ${bold(stack.org.username)} (the password is SF_PASSWORD in the demo's .env), Allow.`,
  );
  if (!useDesktop)
    log(
      `     code-server runs the extension remotely: the browser lands on ${stack.oauth.callbackUrl}?code=… (an error page);`,
    );
  if (!useDesktop) log('     copy that address and paste it into VS Code.');
  log(
    `  7. Remove SF_PASSWORD/SF_SECURITY_TOKEN when asked. The demo's access tokens live ${stack.oauth.accessTokenLifetimeMs / 1000} s: a small app here`,
  );
  log(
    '     reads .env and calls /services/data/…/limits every few seconds, and keeps working: Token Relay refreshes .env.',
  );
  log(dim(`  (reset page: ${stack.org.resetPageUrl})`));
  log(dim('Press Ctrl-C to stop the demo and clean everything up.'));
  log('');

  stack.onEvent((line) => log(`${cyan('›')} ${line}`));
  const setupTimer = setInterval(() => {
    const st = readSetupStatus(tmp);
    if (!st) return;
    clearInterval(setupTimer);
    log(
      st.mailbox
        ? `${cyan('›')} the demo mailbox is set up in Token Relay (password in SecretStorage)`
        : `${red('✘')} setting up the demo mailbox in Token Relay failed${st.error ? `: ${st.error}` : ''}; run "Salesforce: Set Up Mailbox" (host ${stack.mailbox.host}, port ${stack.mailbox.port}, STARTTLS, user ${stack.mailbox.user})`,
    );
  }, 500);
  onCleanup('setup watcher', () => clearInterval(setupTimer));
  const envPath = ws.envPath;
  const initialText = readFileSync(envPath, 'utf8');
  const initial = parseEnvFile(envPath).SF_SECURITY_TOKEN;
  let announced = false;
  let soapOff = false;
  let appTimer;
  watchFile(envPath, { interval: 500 }, () => {
    const vars = parseEnvFile(envPath);
    const now = vars.SF_SECURITY_TOKEN;
    if (vars.SF_AUTH === 'oauth' && vars.SF_ACCESS_TOKEN && !appTimer) {
      // The OAuth scene: a developer's app reads .env every 4 s (the tokens live 8 s) and calls /limits.
      log(`${green('✔')} .env now signs in with OAuth (SF_AUTH=oauth, SF_ACCESS_TOKEN). The app starts reading it:`);
      let last;
      let refreshes = 0;
      const tick = async () => {
        const token = parseEnvFile(envPath).SF_ACCESS_TOKEN;
        if (last && token && token !== last) refreshes++;
        last = token;
        const r = await runAppReader(envPath);
        log(
          `${r.status === 200 ? green('✔') : red('✘')} app: GET /services/data/v64.0/limits with .env's token → ${r.status}${r.error ? ` ${r.error}` : ''}${dim(`  (token refreshed by Token Relay ${refreshes}×)`)}`,
        );
      };
      appTimer = setInterval(() => void tick(), 4000);
      onCleanup('app reader', () => clearInterval(appTimer));
    }
    if (now && now !== initial && !announced) {
      const good = now === stack.currentToken();
      announced = good;
      const onlyToken =
        readFileSync(envPath, 'utf8') ===
        initialText.replace(`SF_SECURITY_TOKEN=${initial}`, `SF_SECURITY_TOKEN=${now}`);
      log(
        good
          ? `${green('✔')} .env now holds the org's new security token${onlyToken ? ' (only the SF_SECURITY_TOKEN line changed)' : ''}.`
          : `${cyan('›')} .env changed; SF_SECURITY_TOKEN does not match the org's current token yet.`,
      );
    }
    if (announced && !soapOff) {
      soapOff = true;
      setTimeout(() => {
        stack.oauth.soapLoginOff();
        log(
          `${cyan('›')} Summer '27 arrived in the emulator: SOAP login() is off for the demo org. Run ${bold('Salesforce: Test Connection')}, then ${bold('Switch to OAuth')} (steps 5-7).`,
        );
      }, 5000);
    }
  });
  onCleanup('.env watcher', () => unwatchFile(envPath));

  const why = await vscodeDone;
  log(`${why}: stopping the demo.`);
  await cleanupAll(log);
  process.exit(0);
}

main().catch(async (err) => {
  if (wasInterrupted()) return; // stopping: the signal handler cleans up and exits
  log(red(`demo: ${err?.message ?? err}`));
  if (process.env.TOKEN_RELAY_DEBUG) log(String(err?.stack ?? ''));
  await cleanupAll(log);
  process.exit(1);
});
