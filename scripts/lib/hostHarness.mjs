// The runner of the host tests, shared by scripts/host-test.mjs (code-server) and scripts/desktop-test.mjs
// (@vscode/test-electron): builds the extension and the host tests (test/host/*.test.ts, given to esbuild as file
// paths: the tests themselves run inside the extension host, never in this process), starts the servers
// (scripts/lib/hostStack.ts), makes a throwaway workspace, checks results.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const outDir = path.join(root, 'out', 'test', 'host');

/** dist/extension.js (esbuild.mjs) + out/test/host/*.js (index + one bundle per *.test.ts). */
export async function buildAll(log = console.log) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('esbuild.mjs failed');
  const esbuild = await import('esbuild');
  const dir = path.join(root, 'test', 'host');
  const entries = readdirSync(dir)
    .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: entries,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
    absWorkingDir: root,
  });
  log(
    `[host] built dist/extension.js and ${entries.length} host test bundles in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { extensionDevelopmentPath: root, extensionTestsPath: path.join(outDir, 'index.js') };
}

/**
 * The drivers run under `node --import tsx` (they re-exec themselves with `ensureTsx`), so the TypeScript stack
 * (scripts/lib/hostStack.ts and the support servers in src/) loads directly.
 */
export function ensureTsx(scriptUrl) {
  if (process.env.TOKEN_RELAY_UNDER_TSX === '1') return false;
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(scriptUrl), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TOKEN_RELAY_UNDER_TSX: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
  return true;
}

/** Starts the emulator + IMAP server (chosen as for the tests: TOKEN_RELAY_TEST_IMAP) + control endpoint (./hostStack.ts). */
export async function startStack(log) {
  const { startHostStack } = await import('./hostStack.ts');
  return startHostStack(log);
}

/** A throwaway workspace folder: a git repo (for the .gitignore check) with nothing else. */
export function makeWorkspace(base) {
  const ws = mkdtempSync(path.join(base ?? os.tmpdir(), 'token-relay-ws-'));
  spawnSync('git', ['init', '-q'], { cwd: ws });
  writeFileSync(path.join(ws, 'README.md'), '# host test workspace\n');
  return ws;
}

/**
 * Checks the results file written by test/host/index.ts. The workbench reports exit 0 when the extension
 * host dies, so no file, an unfinished run or zero tests is a failure.
 */
export function checkResults(file, suite, exitCode) {
  if (!existsSync(file))
    return { ok: false, summary: `${suite}: no results file (the extension host died or the tests never started)` };
  let r;
  try {
    r = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { ok: false, summary: `${suite}: unreadable results file (${e.message})` };
  }
  const counts = `${r.passed} passed, ${r.failed} failed, ${r.pending} pending`;
  if (!r.finished) return { ok: false, summary: `${suite}: run did not finish (${counts} so far)`, results: r };
  if (r.total === 0) return { ok: false, summary: `${suite}: zero tests ran`, results: r };
  if (r.failed > 0) return { ok: false, summary: `${suite}: ${counts}`, results: r };
  if (exitCode !== 0 && exitCode !== undefined)
    return { ok: false, summary: `${suite}: ${counts} but the host exited with ${exitCode}`, results: r };
  return { ok: true, summary: `${suite}: ${counts}`, results: r };
}

/** A multi-root workspace: two folders (a, b) and the .code-workspace file that joins them. */
export function makeMultiRootWorkspace(base) {
  const dir = mkdtempSync(path.join(base ?? os.tmpdir(), 'token-relay-multi-'));
  const folders = ['a', 'b'].map((n) => {
    const f = path.join(dir, n);
    mkdirSync(f);
    writeFileSync(path.join(f, 'README.md'), `# folder ${n}\n`);
    return f;
  });
  const file = path.join(dir, 'orgs.code-workspace');
  writeFileSync(file, JSON.stringify({ folders: folders.map((f) => ({ path: f })), settings: {} }, null, 2));
  return { dir, file, folders };
}

/** main: trusted; restricted: Restricted Mode (own launch); multiroot: a two-folder workspace. */
export const SUITES = [
  { name: 'main', workspaceTrust: false },
  { name: 'restricted', workspaceTrust: true },
  { name: 'multiroot', workspaceTrust: false, multiRoot: true },
];
