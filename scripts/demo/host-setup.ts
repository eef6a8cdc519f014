/**
 * The demo's setup step inside VS Code's extension host: gives Token Relay the demo mailbox through its documented
 * automation command `tokenRelay.setUpMailbox({ … password })` (the password goes to SecretStorage, never to
 * settings) and opens the Notifications list.
 *
 * It is the `activate()` of a throwaway "demo setup" extension that scripts/demo.mjs writes into its temp dir and
 * loads as a second development extension next to this repository (`extensionDependencies` makes Token Relay
 * activate first). Not an `extensionTestsPath`: a test window refuses dialogs, such as the "open the external
 * website?" question. Everything else is left to the person (or the headless driver): accepting the "Import" offer
 * for .env, running Salesforce: Reset Token, clicking Reset.
 *
 * Environment (set on code-server / VS Code, inherited by the extension host):
 *   TOKEN_RELAY_DEMO_SETUP  JSON { mailbox: { host, port, security, user, password }, statusFile }
 */
import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';

const EXTENSION_ID = 'token-relay.token-relay-salesforce';

interface SetupConfig {
  mailbox: { host: string; port: number; security: 'implicit' | 'starttls'; user: string; password: string };
  statusFile: string;
}

function report(file: string, status: Record<string, unknown>): void {
  writeFileSync(file, JSON.stringify({ ...status, at: new Date().toISOString() }));
}

export async function activate(): Promise<void> {
  const raw = process.env.TOKEN_RELAY_DEMO_SETUP;
  if (!raw) return; // not started by npm run demo: nothing to do
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
    // code-server runs with the smoke-test driver enabled (needed to load extensions from folders), and that mode
    // suppresses notification toasts: keep the Notifications list open instead, so the import offer and the reset
    // progress stay visible.
    await vscode.commands.executeCommand('notifications.showList').then(undefined, () => undefined);
    report(cfg.statusFile, { mailbox: ok === true, extensionPath: ext.extensionPath });
  } catch (err) {
    report(cfg.statusFile, { mailbox: false, error: err instanceof Error ? err.message : String(err) });
  }
}

export function deactivate(): void {}
