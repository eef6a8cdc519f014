/**
 * The env_fresh_misses benchmark's driver inside code-server's extension host (bench/envFresh.ts bundles it into a
 * throwaway extension that depends on Token Relay): signs a new org in with Switch to OAuth through the test API's
 * scripted UI (TOKEN_RELAY_TEST=1; the browser step is authorizeByHttp on the emulator's pages, the landed URL is
 * "pasted"), then reports to a status file. From then on Token Relay's keeper alone keeps .env fresh; the bench
 * watches .env from outside. Nothing here prints a token.
 *
 * Environment: TOKEN_RELAY_BENCH_FRESH = JSON { loginUrl, clientId, username, password, statusFile }.
 */
import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { authorizeByHttp } from '../../src/emulator/browser';
import type { TokenRelayTestApi } from '../../src/extension/testApi';

interface Config {
  loginUrl: string;
  clientId: string;
  username: string;
  password: string;
  statusFile: string;
}

const EXTENSION_ID = 'token-relay.token-relay-salesforce';

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function activate(): Promise<void> {
  const raw = process.env.TOKEN_RELAY_BENCH_FRESH;
  if (!raw) return;
  const cfg = JSON.parse(raw) as Config;
  const report = (o: Record<string, unknown>) => writeFileSync(cfg.statusFile, JSON.stringify(o));
  try {
    const ext = vscode.extensions.getExtension<TokenRelayTestApi>(EXTENSION_ID);
    if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
    const api = ext.isActive ? ext.exports : await ext.activate();
    if (!api?.scripted) throw new Error('no test API: TOKEN_RELAY_TEST=1 must be set');
    api.scripted.inputs.push(async () => {
      const url = await waitFor('the authorize URL', () =>
        api.openedUrls.find((u) => u.includes('/services/oauth2/authorize')),
      );
      return authorizeByHttp(url, { username: cfg.username, password: cfg.password });
    });
    const profile = await vscode.commands.executeCommand<{ id: string } | undefined>('tokenRelay.switchToOAuth', {
      loginUrl: cfg.loginUrl,
      clientId: cfg.clientId,
      paste: true,
    });
    report({
      ok: !!profile,
      status: api.statusText(),
      ...(profile ? {} : { messages: api.scripted.messages.slice(-4).map((m) => m.text) }),
    });
  } catch (err) {
    report({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

export function deactivate(): void {}
