/**
 * Smoke test of the INSTALLED .vsix, run by scripts/vsix-smoke.mjs inside code-server's extension host with
 * `extensionTestsPath` only (no `extensionDevelopmentPath`, which would shadow the installed copy).
 * Bundled by the smoke script with esbuild; `vscode` is the host's module.
 *
 * Environment (set by the smoke script on code-server's process, inherited by the extension host):
 *   TOKEN_RELAY_VSIX_RESULTS   file to write { passed, failed, tests: [{ name, ok, error? }] } to (the driver
 *                              trusts this file, not only the exit code: a crashed host also "exits 0")
 *   TOKEN_RELAY_VSIX_EXT_DIR   the extensions dir the .vsix was installed into
 *   TOKEN_RELAY_VSIX_RELEASE   a file the driver creates once it has read the status bar; run() waits for it,
 *                              because the extension host (and the status bar item) ends when run() settles
 */
import * as vscode from 'vscode';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const EXTENSION_ID = 'token-relay.token-relay-salesforce';

interface Outcome {
  name: string;
  ok: boolean;
  error?: string;
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

export async function run(): Promise<void> {
  const results: Outcome[] = [];
  const test = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
      results.push({ name, ok: true });
      console.log(`  ✔ ${name}`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      results.push({ name, ok: false, error });
      console.log(`  ✘ ${name}: ${error}`);
    }
  };

  let ext: vscode.Extension<unknown> | undefined;
  await test('the .vsix is installed and is the copy that runs', async () => {
    ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert(ext, `${EXTENSION_ID} is not installed`);
    const extDir = process.env.TOKEN_RELAY_VSIX_EXT_DIR;
    assert(extDir, 'TOKEN_RELAY_VSIX_EXT_DIR is not set');
    const rel = path.relative(path.resolve(extDir), path.resolve(ext.extensionPath));
    assert(
      rel && !rel.startsWith('..') && !path.isAbsolute(rel),
      `runs from ${ext.extensionPath}, not from the installed copy in ${extDir}`,
    );
    const pkg = ext.packageJSON as { main?: string; displayName?: string };
    assert(pkg.displayName === 'Token Relay for Salesforce', `displayName is ${pkg.displayName}`);
    assert(pkg.main === './dist/extension.js', `main is ${pkg.main}`);
  });

  await test('it activates (onStartupFinished) without errors', async () => {
    assert(ext, 'not installed');
    await ext.activate();
    assert(ext.isActive, 'not active after activate()');
  });

  await test('every contributed command is registered', async () => {
    assert(ext, 'not installed');
    const contributed = (
      (ext.packageJSON as { contributes?: { commands?: Array<{ command: string }> } }).contributes?.commands ?? []
    ).map((c) => c.command);
    assert(contributed.length >= 12, `only ${contributed.length} commands contributed`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert(missing.length === 0, `contributed but not registered: ${missing.join(', ')}`);
    const titles =
      (ext.packageJSON as { contributes?: { commands?: Array<{ title: string; category?: string }> } }).contributes
        ?.commands ?? [];
    const raw = titles.filter((c) => /^%.*%$/.test(c.title) || /^%.*%$/.test(c.category ?? ''));
    assert(
      raw.length === 0,
      `untranslated manifest placeholders (package.nls.json missing?): ${raw.map((c) => c.title).join(', ')}`,
    );
    assert(
      titles.some((c) => c.title === 'Reset Token' && c.category === 'Salesforce'),
      '"Salesforce: Reset Token" is not in the manifest',
    );
    for (const id of ['tokenRelay.resetToken', 'tokenRelay.testConnection', 'tokenRelay.showLog']) {
      assert(registered.has(id), `${id} is not registered`);
    }
  });

  await test('the bundled libraries load from the installed copy (jsforce, imapflow, mailparser)', async () => {
    assert(ext, 'not installed');
    for (const lib of ['jsforce', 'imapflow', 'mailparser']) {
      const file = path.join(ext.extensionPath, 'dist', 'vendor', `${lib}.js`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as unknown;
      assert(mod && (typeof mod === 'object' || typeof mod === 'function'), `${lib} bundle did not load`);
    }
  });

  await test('Salesforce: Show Log runs', async () => {
    // A command may leave UI open (a notification, a picker) and settle only when a person answers it:
    // it passes when it has not failed within 3 s.
    const outcome = await Promise.race([
      Promise.resolve(vscode.commands.executeCommand('tokenRelay.showLog')).then(() => 'done'),
      new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 3000)),
    ]);
    assert(outcome === 'done' || outcome === 'still open', String(outcome));
  });

  await test('Import Org from .env takes the workspace org (the status bar then tests its login)', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert(folder, 'no workspace folder');
    const env = vscode.Uri.joinPath(folder.uri, '.env');
    const doc = await waitFor(
      '.env',
      async () =>
        vscode.workspace.openTextDocument(env).then(
          (d) => d,
          () => undefined,
        ),
      5000,
    );
    const username = /^SF_USERNAME=(.*)$/m.exec(doc.getText())?.[1];
    assert(username, '.env has no SF_USERNAME');
    const profile = await vscode.commands.executeCommand<{ username?: string } | undefined>(
      'tokenRelay.importOrgFromEnv',
      env.fsPath,
    );
    assert(profile && profile.username === username, `import returned ${JSON.stringify(profile && profile.username)}`);
  });

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  const file = process.env.TOKEN_RELAY_VSIX_RESULTS;
  if (file) writeFileSync(file, JSON.stringify({ passed, failed, tests: results }, null, 2));
  console.log(`vsix smoke (extension host): ${passed} passed, ${failed} failed`);

  // The extension host exits when run() settles, and the status bar item goes with it: hold on until the
  // driver has read the status bar (it creates the release file), at most 90 s.
  const release = process.env.TOKEN_RELAY_VSIX_RELEASE;
  if (release) {
    await waitFor('the driver to read the status bar', () => (existsSync(release) ? true : undefined), 90_000).catch(
      () => undefined,
    );
  }
  if (failed) throw new Error(`${failed} smoke test(s) failed`);
}
