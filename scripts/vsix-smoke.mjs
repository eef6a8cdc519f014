#!/usr/bin/env node
// Smoke test of the packaged extension as a user gets it:
//   1. the .vsix (argument, else ./<name>-<version>.vsix, else `node scripts/package.mjs` makes it),
//   2. `code-server --install-extension` into a fresh extensions dir,
//   3. code-server on a workspace whose .env logs in to the local Salesforce emulator,
//   4. test/vsix/suite.ts runs in the extension host via `extensionTestsPath`; the development path is an empty
//      runner extension with another id (VS Code runs tests only in a development window), never this repo,
//      which would shadow the installed copy: installed copy runs, activates, commands registered, libraries load,
//   5. headless Chromium reads the status bar: the item is there and says "Connected" (the installed
//      extension's login test against the emulator).
// Exit 0 only when the host wrote its results file with 0 failures AND the status bar check passed.
// The mailbox server is chosen as for the tests: TOKEN_RELAY_TEST_IMAP=dovecot|embedded, else Dovecot when it can
// serve IMAP here (/usr/sbin/dovecot and dovecot-imapd), else the embedded server.
// Usage: node scripts/vsix-smoke.mjs [FILE.vsix] [--timeout SECONDS] [--screens DIR] [--keep]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupAll, installSignalHandlers, launchDemoChromium, onCleanup, stopCodeServer } from './demo/cleanup.mjs';
import { createDemoWorkspace } from './demo/workspace.mjs';
import { loadDemoStack } from './demo/loadStack.mjs';
import { bundleHostModule } from './demo/bundle.mjs';
import { demoExtensionEnv, demoWorkbenchSettings } from './demo/env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const log = (l) => process.stderr.write(`${l}\n`);
const argv = process.argv.slice(2);
const opts = { vsix: undefined, timeout: 240, screens: 'demo-screens/vsix', keep: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--timeout') opts.timeout = Number(argv[++i]);
  else if (a === '--screens') opts.screens = argv[++i];
  else if (a === '--keep') opts.keep = true;
  else if (a.startsWith('-')) {
    log(
      `vsix-smoke: unknown option ${a}\nusage: node scripts/vsix-smoke.mjs [FILE.vsix] [--timeout SECONDS] [--screens DIR] [--keep]`,
    );
    process.exit(2);
  } else opts.vsix = path.resolve(a);
}
installSignalHandlers(log);
const deadline = started + opts.timeout * 1000;
const remaining = () => Math.max(1000, deadline - Date.now());

async function main() {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const extId = `${pkg.publisher}.${pkg.name}`;

  // 1. the .vsix
  let vsix = opts.vsix ?? path.join(root, `${pkg.name}-${pkg.version}.vsix`);
  if (!existsSync(vsix)) {
    if (opts.vsix) throw new Error(`${vsix} does not exist`);
    log('vsix-smoke: no .vsix yet, running scripts/package.mjs');
    const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'package.mjs')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error('packaging failed');
    vsix = res.stdout.trim().split('\n').pop();
  }
  log(`vsix-smoke: ${path.relative(process.cwd(), vsix)}`);

  // 2. install it with code-server's own CLI
  const { ensureCodeServer, startCodeServer, payloadUrl } = await import('./lib/codeServer.mjs');
  const { nodeBin, entry } = await ensureCodeServer({ log: (l) => log(`  [code-server] ${l}`) });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'token-relay-vsix-'));
  onCleanup('temp dir', () =>
    opts.keep ? log(`kept ${tmp}`) : rmSync(tmp, { recursive: true, force: true, maxRetries: 3 }),
  );
  const dataDir = path.join(tmp, 'code-server');
  const extensionsDir = path.join(dataDir, 'extensions');
  for (const d of [
    extensionsDir,
    path.join(dataDir, 'user-data'),
    path.join(dataDir, 'tmp'),
    path.join(dataDir, 'xdg-data'),
    path.join(dataDir, 'xdg-config'),
  ])
    mkdirSync(d, { recursive: true });
  const t0 = Date.now();
  const install = spawnSync(
    nodeBin,
    [
      entry,
      '--user-data-dir',
      path.join(dataDir, 'user-data'),
      '--extensions-dir',
      extensionsDir,
      '--install-extension',
      vsix,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        XDG_DATA_HOME: path.join(dataDir, 'xdg-data'),
        XDG_CONFIG_HOME: path.join(dataDir, 'xdg-config'),
        TMPDIR: path.join(dataDir, 'tmp'),
      },
      timeout: 120_000,
    },
  );
  const installed = readdirSync(extensionsDir).filter((d) => d.toLowerCase().startsWith(`${extId}-`));
  if (install.status !== 0 || installed.length !== 1) {
    throw new Error(
      `code-server --install-extension failed (exit ${install.status}):\n${install.stdout}${install.stderr}`,
    );
  }
  log(`vsix-smoke: installed as ${installed[0]} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // 3. emulator + mailbox + a workspace whose .env holds the CURRENT token
  const startDemoStack = await loadDemoStack();
  // No `imap`: the tests' choice of server (TOKEN_RELAY_TEST_IMAP=dovecot|embedded, else Dovecot when it can serve IMAP).
  const stack = await startDemoStack({});
  onCleanup('servers', () => stack.stop());
  log(
    `vsix-smoke: emulator ${stack.org.loginUrl}; IMAP ${stack.mailbox.kind} on ${stack.mailbox.host}:${stack.mailbox.port}`,
  );
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
  });
  writeFileSync(
    ws.envPath,
    readFileSync(ws.envPath, 'utf8')
      .replace(/^#.*\n/gm, '')
      .replace(`SF_SECURITY_TOKEN=${stack.org.expiredToken}`, `SF_SECURITY_TOKEN=${stack.currentToken()}`),
    { mode: 0o600 },
  );

  // 4. the host-side suite, bundled for the extension host (Node 24 there)
  const suite = await bundleHostModule(
    path.join(root, 'test', 'vsix', 'suite.ts'),
    path.join(tmp, 'tests', 'suite.js'),
  );
  // VS Code runs `extensionTestsPath` only in an extension-development window (its extension host throws
  // "Cannot load test runner" without a development path, and the workbench never starts the tests). So the
  // development path is an empty runner extension with ANOTHER id: it shadows nothing, and the suite asserts
  // that Token Relay runs from the extensions dir the .vsix went into.
  const runnerDir = path.join(tmp, 'smoke-runner');
  mkdirSync(runnerDir);
  writeFileSync(
    path.join(runnerDir, 'package.json'),
    JSON.stringify(
      {
        name: 'vsix-smoke-runner',
        publisher: 'token-relay-tests',
        displayName: 'Token Relay .vsix smoke runner (no code)',
        version: '0.0.0',
        engines: { vscode: '^1.96.0' },
      },
      null,
      2,
    ),
  );
  const resultsFile = path.join(tmp, 'results.json');
  const env = {
    NODE_EXTRA_CA_CERTS: demoExtensionEnv(stack, { tmp }).NODE_EXTRA_CA_CERTS,
    TOKEN_RELAY_VSIX_RESULTS: resultsFile,
    TOKEN_RELAY_VSIX_EXT_DIR: extensionsDir,
    TOKEN_RELAY_VSIX_RELEASE: path.join(tmp, 'statusbar-read'),
  };
  const cs = await startCodeServer({
    dataDir,
    env,
    log: (l) => log(`  [code-server] ${l}`),
    settings: demoWorkbenchSettings(),
  });
  onCleanup('code-server', () => stopCodeServer(cs));

  // 5. run it in a browser and read the status bar
  const browser = await launchDemoChromium();
  onCleanup('browser', () => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  let exitCode;
  let onExit;
  const exited = new Promise((resolve) => (onExit = resolve));
  await page.exposeFunction('codeAutomationExit', (code) => {
    exitCode = code;
    onExit(code);
  });
  const consoleTail = [];
  page.on('console', (m) => {
    const t = m.text();
    if (/[✔✘] |vsix smoke/.test(t)) log(`  [host] ${t.replace(/^%c\s*\w+\s+color:\s*\S+\s*/, '').trim()}`);
    else if (!/ENOTFOUND|gallery|marketplace/i.test(t)) consoleTail.push(`[${m.type()}] ${t}`.slice(0, 400));
    if (consoleTail.length > 60) consoleTail.shift();
  });
  const tLoad = Date.now();
  await page.goto(
    payloadUrl(cs.url, { folder: wsDir, extensionDevelopmentPath: runnerDir, extensionTestsPath: suite }),
    { timeout: remaining() },
  );

  // The status bar, read while the host suite holds the extension host open (it waits for the release file).
  const status = page
    .locator('.statusbar-item', { hasText: /Connected|Login|Token required|error|failed|Unexpected|Salesforce/i })
    .first();
  let statusText = '';
  const until = Date.now() + Math.min(90_000, remaining());
  while (Date.now() < until && exitCode === undefined) {
    statusText = ((await status.innerText({ timeout: 1000 }).catch(() => '')) || '').replace(/\s+/g, ' ').trim();
    if (/^Connected\b/.test(statusText)) break;
    await page.waitForTimeout(250);
  }
  log(`vsix-smoke: status bar read after ${((Date.now() - tLoad) / 1000).toFixed(1)}s: ${JSON.stringify(statusText)}`);
  const screens = path.resolve(root, opts.screens);
  mkdirSync(screens, { recursive: true });
  await page.screenshot({ path: path.join(screens, 'vsix-installed.png') }).catch(() => undefined);
  writeFileSync(env.TOKEN_RELAY_VSIX_RELEASE, 'read\n');

  const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), remaining()).unref());
  const how = await Promise.race([exited, timer]);
  if (how === 'timeout') {
    await page.screenshot({ path: path.join(tmp, 'timeout.png') }).catch(() => undefined);
    throw new Error(
      `the extension host never reported back (timeout); browser console:\n  ${consoleTail.join('\n  ')}`,
    );
  }
  let results;
  try {
    results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  } catch {
    results = undefined;
  }
  const checks = [
    ['extension host exit code 0', exitCode === 0, `exit ${exitCode}`],
    [
      'host results file written, 0 failures',
      !!results && results.failed === 0 && results.passed >= 6,
      results ? `${results.passed} passed, ${results.failed} failed` : 'no results file (host crashed?)',
    ],
    [
      'status bar item present and "Connected" (login test against the emulator)',
      /^Connected\b/.test(statusText),
      JSON.stringify(statusText),
    ],
  ];
  for (const [name, ok, detail] of checks) log(`  ${ok ? '✔' : '✘'} ${name}  ${detail}`);
  const ok = checks.every((c) => c[1]);
  log(`vsix-smoke: ${ok ? 'PASS' : 'FAIL'} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  if (!ok) log(cs.output().split('\n').slice(-30).join('\n'));
  await cleanupAll(log);
  process.exit(ok ? 0 : 1);
}

main().catch(async (err) => {
  log(`vsix-smoke: FAIL: ${err?.message ?? err}`);
  await cleanupAll(log);
  process.exit(1);
});
