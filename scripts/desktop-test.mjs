#!/usr/bin/env node
// `npm run test:desktop`: the same host tests in VS Code desktop through @vscode/test-electron, for developers
// with a display (or xvfb) and either VS Code installed (VSCODE_EXECUTABLE_PATH=/path/to/code) or internet
// access (test-electron downloads VS Code). CI uses `npm run test:host` (code-server) instead.
//
//   node scripts/desktop-test.mjs [--suite main|restricted|multiroot|all] [--grep PATTERN]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

const { runTests } = await import('@vscode/test-electron');
const build = await buildAll();
const runDir = mkdtempSync(path.join(os.tmpdir(), 'token-relay-desktop-'));
const stack = await startStack();
let code = 0;
try {
  for (const suite of SUITES.filter((s) => suiteArg === 'all' || s.name === suiteArg)) {
    const ws = suite.multiRoot ? makeMultiRootWorkspace(runDir).file : makeWorkspace(runDir);
    const resultsFile = path.join(runDir, `results-${suite.name}.json`);
    let exit = 0;
    try {
      await runTests({
        ...(process.env.VSCODE_EXECUTABLE_PATH ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH } : {}),
        extensionDevelopmentPath: build.extensionDevelopmentPath,
        extensionTestsPath: build.extensionTestsPath,
        extensionTestsEnv: {
          ...stack.env,
          TOKEN_RELAY_HOST_SUITE: suite.name,
          TOKEN_RELAY_HOST_RESULTS: resultsFile,
          ...(grep ? { TOKEN_RELAY_HOST_GREP: grep } : {}),
        },
        launchArgs: [
          ws,
          '--disable-extensions',
          '--skip-welcome',
          '--skip-release-notes',
          '--user-data-dir',
          mkdtempSync(path.join(runDir, 'user-')),
          ...(suite.workspaceTrust ? [] : ['--disable-workspace-trust']),
        ],
      });
    } catch (e) {
      exit = 1;
      console.error(`[desktop] ${suite.name}: ${e.message ?? e}`);
    }
    const check = checkResults(resultsFile, suite.name, exit);
    console.log(`[desktop] ${check.ok ? 'PASS' : 'FAIL'} ${check.summary}`);
    if (!check.ok) code = 1;
  }
} finally {
  await stack.stop();
  rmSync(runDir, { recursive: true, force: true });
}
process.exit(code);
