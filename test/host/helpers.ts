/** Shared helpers of the host tests (run inside the extension host). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TokenRelayTestApi } from '../../src/extension/testApi';
import type { RecordedMessage } from '../../src/extension/scriptedUi';

export const EXTENSION_ID = 'token-relay.token-relay-salesforce';

export function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the host tests through scripts/host-test.mjs`);
  return v;
}

let api: TokenRelayTestApi | undefined;
export async function getApi(): Promise<TokenRelayTestApi> {
  if (api) return api;
  const ext = vscode.extensions.getExtension<TokenRelayTestApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this host`);
  const exported = ext.isActive ? ext.exports : await ext.activate();
  assert.ok(exported, 'activate() returned no test API: TOKEN_RELAY_TEST=1 must be set in the extension host');
  api = exported;
  return api;
}

/** Calls the driver's control endpoint (emulator faults, current token…). */
export async function control<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
  const res = await fetch(`${env('TOKEN_RELAY_TEST_CONTROL_URL')}/op`, {
    method: 'POST',
    body: JSON.stringify({ op, args }),
  });
  const body = (await res.json()) as { ok: boolean; result: T; error?: string };
  if (!body.ok) throw new Error(`control ${op}: ${body.error}`);
  return body.result;
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitForMessage(
  a: TokenRelayTestApi,
  match: RegExp,
  timeoutMs = 30_000,
): Promise<RecordedMessage> {
  return waitFor(`a message matching ${match}`, () => a.scripted.messages.find((m) => match.test(m.text)), timeoutMs);
}

export function workspaceRoot(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the host tests need a workspace folder');
  return f.uri.fsPath;
}

export function envPath(): string {
  return path.join(workspaceRoot(), '.env');
}

/** Removes every org (and its secrets) and the mailbox setup; clears recorded UI. */
export async function resetState(a: TokenRelayTestApi): Promise<void> {
  const s = a.services;
  while (s.resetInProgress) await s.resetInProgress.catch(() => undefined);
  for (const p of s.profiles.list()) {
    await s.secrets.forgetProfile(p.id);
  }
  const c = vscode.workspace.getConfiguration('tokenRelay');
  await c.update('orgs', undefined, vscode.ConfigurationTarget.Global);
  await c.update('activeOrg', undefined, vscode.ConfigurationTarget.Workspace).then(undefined, () => undefined);
  await c.update('activeOrg', undefined, vscode.ConfigurationTarget.Global);
  await s.secrets.setMailboxSecret(undefined);
  await c.update('reset.timeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
  await c.update('env.writeKeys', undefined, vscode.ConfigurationTarget.Global);
  await c.update('healthCheck.intervalMinutes', 0, vscode.ConfigurationTarget.Global);
  // Password orgs log in with a method Salesforce is retiring: only migration.test.ts wants its reminder.
  await c.update('retirementReminders', false, vscode.ConfigurationTarget.Global);
  a.scripted.reset();
  a.useScriptedUi(true);
}

/** Adds an org on the emulator through the real command and makes it active. */
export async function addEmulatorOrg(
  a: TokenRelayTestApi,
  user: { username: string; password: string },
  extra: Record<string, unknown> = {},
): Promise<string> {
  const profile = await vscode.commands.executeCommand<{ id: string } | undefined>('tokenRelay.addOrg', {
    name: user.username.split('@')[0],
    loginUrl: env('TOKEN_RELAY_TEST_EMULATOR_URL'),
    username: user.username,
    password: user.password,
    ...extra,
  });
  assert.ok(profile, `addOrg failed: ${JSON.stringify(a.scripted.messages.slice(-3))}`);
  return profile.id;
}

/** Sets up the mailbox on the test IMAP server through the real command. */
export async function setUpTestMailbox(): Promise<void> {
  const ok = await vscode.commands.executeCommand('tokenRelay.setUpMailbox', {
    preset: 'custom',
    host: env('TOKEN_RELAY_TEST_IMAP_HOST'),
    port: Number(env('TOKEN_RELAY_TEST_IMAP_PORT')),
    security: 'starttls',
    user: 'inbox@mail.test',
    password: 'mailbox-Secret-7731',
    allowInsecureTls: true, // the test server's certificate is self-signed
  });
  assert.equal(ok, true, 'setUpMailbox failed');
}

/** "Clicks" Reset Security Token on the emulator's page over HTTP, as the user would in the browser. */
export async function clickResetButton(openedUrl: string, username: string): Promise<void> {
  const u = new URL(openedUrl);
  const start = u.searchParams.get('startURL');
  const pageUrl = new URL(start ?? u.pathname, u.origin);
  pageUrl.searchParams.set('user', username);
  const page = await fetch(pageUrl);
  const html = await page.text();
  assert.equal(page.status, 200, `reset page answered ${page.status}`);
  const nonce = /name="nonce" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(nonce, 'no nonce on the reset page');
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? pageUrl.pathname;
  const post = await fetch(new URL(action, u.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ nonce, user: username, reset: '1' }).toString(),
  });
  assert.equal(post.status, 200, `reset POST answered ${post.status}`);
}

export function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}
