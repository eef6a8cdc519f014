#!/usr/bin/env node
// `npm run test:host`: the extension's tests inside code-server's real Node extension host, driven by headless
// Debian chromium (playwright-core), against the Salesforce emulator and the tests' IMAP server (src/imapServer:
// TOKEN_RELAY_TEST_IMAP=dovecot|embedded, else Dovecot when it can serve IMAP here, else embedded; CI=true needs Dovecot).
//
//   node scripts/host-test.mjs [--suite main|restricted|multiroot|all] [--grep PATTERN] [--keep] [--timeout SECONDS]
//   TOKEN_RELAY_HOST_VERBOSE=1: phase timings and server logs; TOKEN_RELAY_HOST_SIMULATE_CRASH=1: the extension host
//   exits after the first passing test (checks that the driver reports that as a failure, not a pass).
//
// Three launches: "main" with --disable-workspace-trust, "restricted" without it (Restricted Mode), and
// "multiroot" on a two-folder .code-workspace (an org bound per folder).
// Installs Node 24 + code-server into the cache dir first if missing (scripts/lib/codeServer.mjs).
// Exit code: 0 only when every launch wrote a results file with > 0 tests and no failure.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureCodeServer, launchChromium, payloadUrl, startCodeServer } from './lib/codeServer.mjs';
import {
  buildAll,
  checkResults,
  ensureTsx,
  makeMultiRootWorkspace,
  makeWorkspace,
  startStack,
  SUITES,
} from './lib/hostHarness.mjs';

if (ensureTsx(import.meta.url)) await new Promise(() => {}); // re-run under `node --import tsx`

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const suiteArg = opt('suite', 'all');
const grep = opt('grep', undefined);
const keep = args.includes('--keep');
const timeoutS = Number(opt('timeout', process.env.TOKEN_RELAY_HOST_TIMEOUT ?? 300));
const say = (line) => process.stdout.write(`${line}\n`);

const cleanups = [];
let cleaning = false;
async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (e) {
      say(`[host] cleanup: ${e.message}`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    say(`[host] ${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

const NOISE = [
  /ENOTFOUND/,
  /open-vsx|marketplace|gallery/i,
  /Failed to load resource/,
  /\[Extension Host\] (?:debugger|Debugger)/,
  /\[AgentHost/,
  /\[ChatModelSelection\]/,
  /No signed-in session/,
  /chat\.|copilot/i,
  /Creating a socket|connection token/,
];

/** console.log('%c INFO', css, 'text %s', x) → ' INFO text x' (browser printf subset, CSS dropped). */
function formatConsole(parts) {
  if (!parts.length) return '';
  const out = [];
  let rest = parts;
  while (rest.length && typeof rest[0] === 'string' && /%[sdifoOc]/.test(rest[0])) {
    const [fmt, ...args] = rest;
    out.push(
      fmt.replace(/%([sdifoOc%])/g, (_, k) => {
        if (k === '%') return '%';
        const v = args.shift();
        if (k === 'c') return '';
        return typeof v === 'string' ? v : JSON.stringify(v);
      }),
    );
    rest = args;
  }
  for (const v of rest) out.push(typeof v === 'string' ? v : JSON.stringify(v));
  return out
    .join(' ')
    .replace(/^\s*(INFO|WARN|ERR|DEBUG|TRACE)\s+/, '')
    .trimEnd();
}

async function runSuite(suite, { build, stack, runDir }) {
  const t0 = Date.now();
  const mark = (what) => {
    if (process.env.TOKEN_RELAY_HOST_VERBOSE)
      say(`[host] ${suite.name} +${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
  };
  const multi = suite.multiRoot ? makeMultiRootWorkspace(runDir) : undefined;
  const ws = multi ? multi.dir : makeWorkspace(runDir);
  const resultsFile = path.join(runDir, `results-${suite.name}.json`);
  const env = {
    ...stack.env,
    TOKEN_RELAY_HOST_SUITE: suite.name,
    TOKEN_RELAY_HOST_RESULTS: resultsFile,
    ...(grep ? { TOKEN_RELAY_HOST_GREP: grep } : {}),
    ...(process.env.TOKEN_RELAY_HOST_SIMULATE_CRASH
      ? { TOKEN_RELAY_HOST_SIMULATE_CRASH: process.env.TOKEN_RELAY_HOST_SIMULATE_CRASH }
      : {}),
  };
  const cs = await startCodeServer({
    workspaceTrust: suite.workspaceTrust,
    dataDir: mkdtempSync(path.join(runDir, `cs-${suite.name}-`)),
    log: (l) => say(`[code-server] ${l}`),
  });
  cleanups.push(() => cs.stop());
  mark('code-server up');
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  let resolveExit;
  const exited = new Promise((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationExit', (code) => {
    resolveExit({ code: Number(code) });
  });
  // Extension-host console output (mocha's reporter included) arrives as printf-style console calls.
  let printing = Promise.resolve();
  page.on('console', (msg) => {
    printing = printing.then(async () => {
      let parts;
      try {
        parts = await Promise.all(msg.args().map((a) => a.jsonValue()));
      } catch {
        parts = [msg.text()];
      }
      // Objects (errors) serialize poorly through jsonValue(); Playwright's own text is better for those.
      const text = parts.some((v) => v !== null && typeof v === 'object') ? msg.text() : formatConsole(parts);
      if (NOISE.some((re) => re.test(text))) return;
      say(`[${suite.name}] ${text}`);
    });
  });
  page.on('pageerror', (err) => say(`[${suite.name}] page error: ${err.message}`));
  const url = payloadUrl(cs.url, {
    ...(multi ? { workspace: multi.file } : { folder: ws }),
    extensionDevelopmentPath: build.extensionDevelopmentPath,
    extensionTestsPath: build.extensionTestsPath,
    env,
  });
  say(
    `[host] ${suite.name}: code-server ${cs.url} (workspace trust ${suite.workspaceTrust ? 'on: Restricted Mode' : 'off'}), workspace ${ws}`,
  );
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  mark('workbench loaded');
  let timer;
  const timeout = new Promise(
    (r) => (timer = setTimeout(() => r({ code: undefined, timedOut: true }), timeoutS * 1000)),
  );
  const res = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  mark(`exit ${res.code}`);
  await printing.catch(() => {});
  await browser.close().catch(() => {});
  await cs.stop();
  mark('stopped');
  const check = res.timedOut
    ? { ok: false, summary: `${suite.name}: timed out after ${timeoutS} s`, results: undefined }
    : checkResults(resultsFile, suite.name, res.code);
  if (check.results?.failures?.length)
    for (const f of check.results.failures) say(`[host] FAILED ${f.title}\n${f.error}`);
  if (!check.ok && res.timedOut) say(cs.output().slice(-3000));
  return { ...check, seconds: (Date.now() - t0) / 1000 };
}

async function main() {
  const tAll = Date.now();
  const install = await ensureCodeServer({ log: (l) => say(`[code-server] ${l}`) });
  if (install.installedNow) say(`[host] code-server installed in ${install.seconds.toFixed(1)} s`);
  const build = await buildAll(say);
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'token-relay-host-'));
  if (!keep) cleanups.push(() => rmSync(runDir, { recursive: true, force: true, maxRetries: 3 }));
  else say(`[host] keeping ${runDir}`);
  const stack = await startStack((l) => {
    if (process.env.TOKEN_RELAY_HOST_VERBOSE) say(l);
  });
  cleanups.push(() => stack.stop());
  say(`[host] emulator ${stack.emulator.url}; IMAP ${stack.imap.kind} on 127.0.0.1:${stack.imap.port}`);
  const suites = SUITES.filter((s) => suiteArg === 'all' || s.name === suiteArg);
  if (!suites.length) throw new Error(`unknown suite ${suiteArg}`);
  const outcomes = [];
  for (const s of suites) outcomes.push(await runSuite(s, { build, stack, runDir }));
  say('');
  for (const o of outcomes) say(`[host] ${o.ok ? 'PASS' : 'FAIL'} ${o.summary} (${o.seconds.toFixed(1)} s)`);
  const total = outcomes.reduce((n, o) => n + (o.results?.passed ?? 0), 0);
  const failed = outcomes.reduce((n, o) => n + (o.results?.failed ?? 0), 0);
  say(`[host] total: ${total} passed, ${failed} failed; ${((Date.now() - tAll) / 1000).toFixed(1)} s end to end`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  say(`[host] error: ${e.stack ?? e}`);
} finally {
  await cleanup();
}
process.exit(code);
