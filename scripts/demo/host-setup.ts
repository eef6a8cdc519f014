/**
 * The demo's setup step inside VS Code's extension host: gives Token Relay the demo mailbox through its documented
 * automation command `tokenRelay.setUpMailbox({ … password })` (the password goes to SecretStorage, never to
 * settings), then keeps the extension host alive for the rest of the demo.
 *
 * It is loaded as the window's `extensionTestsPath` (the only way to run code in the extension host without a
 * second extension), bundled by scripts/demo.mjs with esbuild. Everything else is left to the person (or the
 * headless driver): accepting the "Import" offer for .env, running Salesforce: Reset Token, clicking Reset.
 *
 * Environment (set on code-server / VS Code, inherited by the extension host):
 *   TOKEN_RELAY_DEMO_SETUP  JSON { mailbox: { host, port, security, user, password }, statusFile, releaseFile }
 */
import * as vscode from 'vscode';
import { existsSync, writeFileSync } from 'node:fs';

const EXTENSION_ID = 'token-relay.token-relay-salesforce';

interface SetupConfig {
  mailbox: { host: string; port: number; security: 'implicit' | 'starttls'; user: string; password: string };
  statusFile: string;
  releaseFile?: string;
}

function report(file: string, status: Record<string, unknown>): void {
  writeFileSync(file, JSON.stringify({ ...status, at: new Date().toISOString() }));
}

export async function run(): Promise<void> {
  const raw = process.env.TOKEN_RELAY_DEMO_SETUP;
  if (!raw) throw new Error('TOKEN_RELAY_DEMO_SETUP is not set (run through npm run demo)');
  const cfg = JSON.parse(raw) as SetupConfig;
  try {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
    await ext.activate();
    const ok = await vscode.commands.executeCommand<boolean>('tokenRelay.setUpMailbox', {
      preset: 'custom',
      host: cfg.mailbox.host,
      port: cfg.mailbox.port,
      security: cfg.mailbox.security,
      user: cfg.mailbox.user,
      password: cfg.mailbox.password,
      allowInsecureTls: false,
    });
    // code-server runs with the smoke-test driver enabled (needed to load the extension from this repo), and that
    // mode suppresses notification toasts: keep the Notifications list open instead, so the import offer and the
    // reset progress stay visible.
    await vscode.commands.executeCommand('notifications.showList').then(undefined, () => undefined);
    report(cfg.statusFile, { mailbox: ok === true, extensionPath: ext.extensionPath });
  } catch (err) {
    report(cfg.statusFile, { mailbox: false, error: err instanceof Error ? err.message : String(err) });
  }
  // The extension host ends when run() settles: stay until the demo says so (headless) or forever (interactive;
  // Ctrl-C in the terminal stops everything).
  for (;;) {
    if (cfg.releaseFile && existsSync(cfg.releaseFile)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
