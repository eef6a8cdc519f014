/**
 * The extension's two bundles (esbuild.mjs): dist/extension.js holds what activation needs, dist/extension-lazy.js
 * the command code, loaded on first use. Built here into a temp dir (development build: esbuild marks each
 * module with a `// src/…` line), then loaded in a child Node process with the `vscode` stand-in of the
 * activation benchmark (bench/activation/vscode-standin.cjs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

const root = path.resolve(__dirname, '..', '..');
const standin = path.join(root, 'bench', 'activation', 'vscode-standin.cjs');

function modulesOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map((m) => m[1]!);
}

/** Runs `body` in a fresh node with the stand-in as `vscode` and the bundles of `dir`; returns its stdout JSON. */
function inChild(dir: string, body: string): Record<string, unknown> {
  const script = `
    const Module = require('node:module');
    const path = require('node:path');
    const fs = require('node:fs');
    const orig = Module._resolveFilename;
    Module._resolveFilename = function (r, ...a) { return r === 'vscode' ? ${JSON.stringify(standin)} : orig.call(this, r, ...a); };
    const vscode = require('vscode');
    const dir = ${JSON.stringify(dir)};
    const loaded = () => Object.keys(require.cache).filter((f) => f.startsWith(dir + path.sep)).map((f) => path.basename(f)).sort();
    (async () => { ${body} })().then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e && e.stack || e); process.exit(1); });
  `;
  const storage = mkdtempSync(path.join(tmpdir(), 'tr-bundles-storage-'));
  try {
    const res = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TR_STORAGE: storage },
      timeout: 60_000,
    });
    assert.equal(res.status, 0, `child failed: ${res.stderr}`);
    return JSON.parse(res.stdout) as Record<string, unknown>;
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
}

describe('extension bundles', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tr-bundles-'));
    execFileSync(process.execPath, [path.join(root, 'esbuild.mjs'), '--extension-only', '--outdir', dir], {
      cwd: root,
      stdio: 'pipe',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the command code out of the activation bundle, and no module in both', () => {
    const main = modulesOf(path.join(dir, 'extension.js'));
    const lazy = modulesOf(path.join(dir, 'extension-lazy.js'));
    assert.ok(main.includes('src/extension.ts') && main.includes('src/core/redact.ts'), main.join(', '));
    for (const f of [
      'src/salesforce/login.ts',
      'src/mail/watch.ts',
      'src/flow/resetFlow.ts',
      'src/core/mail/rules.ts',
      'src/envfile/envFile.ts',
      'src/core/health.ts',
      'src/extension/commands/resetToken.ts',
      'src/extension/envWriter.ts',
      'src/extension/healthCheck.ts',
    ]) {
      assert.ok(!main.includes(f), `${f} is in dist/extension.js`);
      assert.ok(lazy.includes(f), `${f} is not in dist/extension-lazy.js`);
    }
    // One redactor (the secrets registered at activation are the ones the login code redacts), one copy of
    // every class that crosses between the bundles.
    assert.deepEqual(
      lazy.filter((f) => main.includes(f)),
      [],
    );
    const both =
      readFileSync(path.join(dir, 'extension.js'), 'utf8') + readFileSync(path.join(dir, 'extension-lazy.js'), 'utf8');
    assert.equal(both.match(/\bvar Redactor = class\b/g)?.length, 1);
  });

  it('keeps the test API and the scripted UI out of the bundles users get', () => {
    const test = modulesOf(path.join(dir, 'extension-test.js'));
    assert.ok(
      test.includes('src/extension/testApi.ts') && test.includes('src/extension/scriptedUi.ts'),
      test.join(', '),
    );
    for (const f of ['extension.js', 'extension-lazy.js']) {
      const mods = modulesOf(path.join(dir, f));
      assert.ok(
        !mods.includes('src/extension/testApi.ts') && !mods.includes('src/extension/scriptedUi.ts'),
        `test code in ${f}: ${mods.join(', ')}`,
      );
      const text = readFileSync(path.join(dir, f), 'utf8');
      for (const name of ['ScriptedUi', 'SwitchableUi', 'testsStarted', 'maxConcurrent'])
        assert.ok(!text.includes(name), `${f} contains ${name}`);
    }
    // The test bundle takes every module it shares with dist/extension.js from it (one redactor, one Opener).
    assert.deepEqual(
      test.filter((f) => modulesOf(path.join(dir, 'extension.js')).includes(f)),
      [],
    );
    const pkgIgnore = readFileSync(path.join(root, '.vscodeignore'), 'utf8');
    assert.ok(!pkgIgnore.includes('extension-test.js'), 'the test bundle must not be packaged');
  });

  it('gives the test API only under TOKEN_RELAY_TEST=1, from its own bundle', () => {
    const r = inChild(
      dir,
      `const ctx = vscode.__standin.createContext(${JSON.stringify(root)}, process.env.TR_STORAGE);
       const ext = require(path.join(dir, 'extension.js'));
       const plain = ext.activate(ctx);
       const atActivation = loaded();
       process.env.TOKEN_RELAY_TEST = '1';
       const ctx2 = vscode.__standin.createContext(${JSON.stringify(root)}, process.env.TR_STORAGE);
       const api = ext.activate(ctx2);
       return { plain: plain === undefined, atActivation, afterTest: loaded(), hasApi: typeof api?.useScriptedUi === 'function', counters: api?.health, implLoaded: api?.implLoaded() };`,
    );
    assert.equal(r.plain, true);
    assert.deepEqual(r.atActivation, ['extension.js']);
    assert.deepEqual(r.afterTest, ['extension-test.js', 'extension.js']);
    assert.equal(r.hasApi, true);
    assert.deepEqual(r.counters, { testsStarted: 0, concurrent: 0, maxConcurrent: 0 });
    assert.equal(r.implLoaded, false);
  });

  it('activates without the command code and loads it when a command first runs', () => {
    const r = inChild(
      dir,
      `const ctx = vscode.__standin.createContext(${JSON.stringify(root)}, process.env.TR_STORAGE);
       const ext = require(path.join(dir, 'extension.js'));
       await ext.activate(ctx);
       const atActivation = loaded();
       await vscode.__standin.registeredCommands.get('tokenRelay.showLog')();
       return { atActivation, afterCommand: loaded(), commands: vscode.__standin.registeredCommands.size };`,
    );
    assert.deepEqual(r.atActivation, ['extension.js']);
    assert.deepEqual(r.afterCommand, ['extension-lazy.js', 'extension.js']);
    // Every contributed command gets a placeholder (12 before issue 13 added Switch to OAuth and Sign Out).
    assert.equal(
      r.commands,
      (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { commands: unknown[] } })
        .contributes.commands.length,
    );
  });

  it('refuses to load the command bundle on its own, with a clear error', () => {
    const r = inChild(
      dir,
      `try { require(path.join(dir, 'extension-lazy.js')); return { loaded: true }; } catch (e) { return { message: String(e.message) }; }`,
    );
    assert.match(
      String(r.message),
      /must be loaded by loadImpl\(\)\/requireBundle\(\) of the same build of dist\/extension\.js/,
    );
  });
});
