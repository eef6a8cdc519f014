/**
 * Switch to OAuth, a fresh .env, and Sign Out (issue 13) in code-server's real extension host against the emulator.
 *
 * code-server is a remote host: its extension host runs on the server, and the browser's `localhost:1717` is the
 * user's machine, not this one. So the loopback listener is not what a user of code-server gets: Switch to OAuth
 * takes the PASTE path ("paste the address the browser landed on"), and that is the path exercised here (when
 * `vscode.env.remoteName` is set the command picks it by itself; when this host does not say it is remote, the
 * test asks for it, `{ paste: true }`, as the user's "Paste URL instead" would). The browser step (log in on the
 * emulator's authorize page, Allow) is done over HTTP by authorizeByHttp with the URL the opener recorded
 * (TOKEN_RELAY_TEST_OPENER=record); its result, the landed URL, is what the user pastes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { parseEnv } from '../../src/core/dotenv';
import { authorizeByHttp } from '../../src/emulator/browser';
import { addEmulatorOrg, control, env, envPath, getApi, readText, resetState, waitFor } from './helpers';

const USER = { username: 'oauth@acme.test', password: 'OAuth-Passw0rd-7' };

interface OAuthStats {
  codeGrants: number;
  refreshGrants: number;
  revocations: number;
}

function envVars(): Record<string, string> {
  return parseEnv(readText(envPath()) ?? '');
}

async function dataCall(instanceUrl: string, accessToken: string): Promise<number> {
  const res = await fetch(`${instanceUrl}/services/data/v64.0/limits`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await res.text();
  return res.status;
}

describe('OAuth: Switch to OAuth (paste path), fresh .env, Sign Out', function () {
  this.timeout(120_000);
  let id = '';
  let clientId = '';
  let firstAccess = '';
  let refreshToken = '';

  before(async () => {
    const a = await getApi();
    await resetState(a);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const apps = await control<Array<{ clientId: string; callbackUrls: string[] }>>('apps');
    const app = apps.find((x) => x.callbackUrls.includes('http://localhost:1717/OauthRedirect'));
    assert.ok(app, 'the emulator has the demo External Client App');
    clientId = app.clientId;
    fs.writeFileSync(envPath(), 'KEEP=me\n');
    id = await addEmulatorOrg(a, USER, { token: await control<string>('currentToken', USER.username) });
    await vscode.commands.executeCommand('tokenRelay.writeEnv');
    assert.ok(envVars().SF_SECURITY_TOKEN, 'the password org wrote its token');
  });

  after(async () => {
    const a = await getApi();
    await resetState(a);
    a.openedUrls.length = 0; // the next suites read the URLs they open from an empty list
  });

  it('switches a password org to OAuth: status Connected, .env holds a token the emulator accepts', async () => {
    const a = await getApi();
    a.scripted.reset();
    const remote = vscode.env.remoteName;
    console.log(
      `    (vscode.env.remoteName: ${remote ?? 'not set'}: ${remote ? 'the command takes the paste path by itself' : 'the paste path is asked for'})`,
    );
    const before = await control<OAuthStats>('oauthStats');
    a.scripted.inputs.push(clientId); // the client id input box (with the how-to)
    a.scripted.inputs.push(async () => {
      // The browser: the authorize URL the command opened, logged in and allowed on the emulator's pages.
      const url = await waitFor('the authorize URL', () =>
        a.openedUrls.find((u) => u.includes('/services/oauth2/authorize')),
      );
      const u = new URL(url);
      assert.equal(u.searchParams.get('client_id'), clientId);
      assert.equal(u.searchParams.get('redirect_uri'), 'http://localhost:1717/OauthRedirect');
      assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
      const landed = await authorizeByHttp(url, USER);
      assert.match(landed, /^http:\/\/localhost:1717\/OauthRedirect\?code=/);
      return landed; // what the user pastes
    });
    a.scripted.answers.push({ match: 'from .env?', action: 'Remove Them' });
    const profile = await vscode.commands.executeCommand<{ id: string; auth?: string } | undefined>(
      'tokenRelay.switchToOAuth',
      remote ? undefined : { paste: true },
    );
    assert.ok(profile, `Switch to OAuth returned nothing: ${JSON.stringify(a.scripted.messages.slice(-4))}`);
    assert.equal(profile.id, id);
    assert.equal(profile.auth, 'oauth');
    assert.ok(
      a.scripted.messages.some((m) => m.severity === 'confirm' && m.text.includes('SF_SECURITY_TOKEN')),
      'asked before removing the token from .env',
    );

    assert.equal(a.statusText(), '$(pass) Connected · oauth');
    const vars = envVars();
    assert.ok(readText(envPath())!.startsWith('KEEP=me\n'), 'other lines kept');
    assert.equal(vars.SF_AUTH, 'oauth');
    assert.equal(vars.SF_USERNAME, USER.username);
    assert.equal(vars.SF_LOGIN_URL, env('TOKEN_RELAY_TEST_EMULATOR_URL'));
    assert.equal(vars.SF_CLIENT_ID, clientId);
    assert.ok(vars.SF_INSTANCE_URL && vars.SF_ACCESS_TOKEN);
    assert.equal(vars.SF_SECURITY_TOKEN, undefined, 'removed as agreed');
    assert.equal(
      await dataCall(vars.SF_INSTANCE_URL, vars.SF_ACCESS_TOKEN),
      200,
      'the emulator accepts the .env token',
    );
    firstAccess = vars.SF_ACCESS_TOKEN;

    refreshToken = (await a.services.context.secrets.get(`tokenRelay.${id}.refreshToken`)) ?? '';
    assert.ok(refreshToken, 'the refresh token is in SecretStorage');
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.accessToken`), firstAccess);
    assert.ok(!readText(envPath())!.includes(refreshToken), 'the refresh token never goes to .env');
    const after = await control<OAuthStats>('oauthStats');
    assert.equal(after.codeGrants, before.codeGrants + 1);

    // Canary: no token in any notification or log line.
    const seen = [...a.scripted.messages.map((m) => m.text), ...a.logLines()].join('\n');
    for (const secret of [firstAccess, refreshToken])
      assert.ok(!seen.includes(secret), 'a token reached a message or the log');
  });

  it('after the access token expires, the next check refreshes it and .env gets the new one', async () => {
    const a = await getApi();
    const before = await control<OAuthStats>('oauthStats');
    assert.ok((await control<number>('expireAccessTokens', USER.username)) >= 1);
    assert.equal(await dataCall(envVars().SF_INSTANCE_URL, firstAccess), 401, 'the old token is dead');
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.equal(a.statusText(), '$(pass) Connected · oauth');
    const vars = envVars();
    assert.notEqual(vars.SF_ACCESS_TOKEN, firstAccess, '.env has a new access token');
    assert.equal(await dataCall(vars.SF_INSTANCE_URL, vars.SF_ACCESS_TOKEN), 200, 'the emulator accepts it');
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.accessToken`), vars.SF_ACCESS_TOKEN);
    const after = await control<OAuthStats>('oauthStats');
    assert.ok(after.refreshGrants > before.refreshGrants, 'a refresh grant ran');
    // The demo app rotates refresh tokens: the new one replaced the old one in SecretStorage.
    const rotated = await a.services.context.secrets.get(`tokenRelay.${id}.refreshToken`);
    assert.ok(rotated && rotated !== refreshToken, 'the rotated refresh token is kept');
    refreshToken = rotated;
    const seen = [...a.scripted.messages.map((m) => m.text), ...a.logLines()].join('\n');
    assert.ok(!seen.includes(vars.SF_ACCESS_TOKEN) && !seen.includes(refreshToken), 'no token in messages or the log');
  });

  it('keeps .env fresh on its own: with a short lifetime the keeper refreshes before expiry, every token accepted', async () => {
    const a = await getApi();
    const c = vscode.workspace.getConfiguration('tokenRelay');
    await c.update('oauth.lifetimeMinutes', 0.05, vscode.ConfigurationTarget.Global); // 3 s: a refresh every ~1.5 s
    try {
      const seen = new Set<string>([envVars().SF_ACCESS_TOKEN]);
      await waitFor(
        'two refreshes by the timer',
        async () => {
          const t = envVars().SF_ACCESS_TOKEN;
          if (t && !seen.has(t)) {
            assert.equal(await dataCall(envVars().SF_INSTANCE_URL, t), 200, 'a refreshed .env token is accepted');
            seen.add(t);
          }
          return seen.size >= 3;
        },
        30_000,
      );
    } finally {
      await c.update('oauth.lifetimeMinutes', undefined, vscode.ConfigurationTarget.Global);
    }
    // Back to the default lifetime: SecretStorage and .env agree once a refresh in flight is done.
    await waitFor(
      '.env = SecretStorage',
      async () => (await a.services.context.secrets.get(`tokenRelay.${id}.accessToken`)) === envVars().SF_ACCESS_TOKEN,
      10_000,
    );
    refreshToken = (await a.services.context.secrets.get(`tokenRelay.${id}.refreshToken`)) ?? '';
  });

  it('Sign Out revokes the refresh token, forgets it, removes SF_ACCESS_TOKEN; status Sign-in required', async () => {
    const a = await getApi();
    a.scripted.reset();
    const before = await control<OAuthStats>('oauthStats');
    assert.equal(await vscode.commands.executeCommand('tokenRelay.signOut'), true);
    assert.equal(a.statusText(), '$(account) Sign-in required · oauth');
    const vars = envVars();
    assert.equal(vars.SF_ACCESS_TOKEN, undefined);
    assert.equal(vars.SF_AUTH, 'oauth');
    assert.equal(vars.KEEP, 'me');
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.refreshToken`), undefined);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.accessToken`), undefined);
    assert.equal((await control<OAuthStats>('oauthStats')).revocations, before.revocations + 1);
    // The revoked refresh token is dead at Salesforce.
    const res = await fetch(`${env('TOKEN_RELAY_TEST_EMULATOR_URL')}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: clientId,
      }).toString(),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    // A test now says Sign-in required and offers Switch to OAuth.
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.ok(a.statusText().endsWith('Sign-in required · oauth'), a.statusText());
    const m = a.scripted.messages.find((x) => x.severity === 'error');
    assert.ok(m && m.actions.includes('Switch to OAuth'), JSON.stringify(a.scripted.messages));
  });
});

/**
 * tokenRelay.oauth.redirect = loopback: for a user whose code-server (or remote) runs on their own machine, the
 * browser reaches the extension host's localhost. Forced here in code-server (which would otherwise paste), on a
 * free port (tokenRelay.oauth.callbackPort; the emulator's app lists its callback URL), and completed by a real
 * headless Chromium (started by the host stack, scripts/lib/hostStack.ts authorizeInChromium): log in on the
 * emulator's authorize page, Allow, and the browser follows the redirect to the extension's loopback listener.
 */
describe('OAuth: Switch to OAuth on the loopback path (tokenRelay.oauth.redirect = loopback), its how-to', function () {
  this.timeout(120_000);
  let clientId = '';
  let port = 0;

  before(async () => {
    const a = await getApi();
    await resetState(a);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const apps = await control<Array<{ clientId: string; callbackUrls: string[] }>>('apps');
    const app = apps.find((x) => x.callbackUrls.includes('http://localhost:1717/OauthRedirect'));
    assert.ok(app, 'the emulator has the demo External Client App');
    clientId = app.clientId;
    port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    await control('addCallbackUrl', clientId, `http://localhost:${port}/OauthRedirect`);
    const c = vscode.workspace.getConfiguration('tokenRelay');
    await c.update('oauth.redirect', 'loopback', vscode.ConfigurationTarget.Global);
    await c.update('oauth.callbackPort', port, vscode.ConfigurationTarget.Global);
    fs.writeFileSync(envPath(), 'KEEP=loopback\n');
  });

  after(async () => {
    const a = await getApi();
    const c = vscode.workspace.getConfiguration('tokenRelay');
    await c.update('oauth.redirect', undefined, vscode.ConfigurationTarget.Global);
    await c.update('oauth.callbackPort', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await resetState(a);
    a.openedUrls.length = 0;
  });

  it('signs in through the loopback listener: Chromium lands on it, status Connected, .env token accepted', async () => {
    const a = await getApi();
    a.scripted.reset();
    a.openedUrls.length = 0;
    const id = await addEmulatorOrg(a, USER, { token: await control<string>('currentToken', USER.username) });
    a.scripted.inputs.push(clientId); // the only input: no "paste the address" box on this path
    let pasteAsked = false;
    a.scripted.inputs.push(() => {
      pasteAsked = true; // would be the paste box: never asked on this path
      return undefined;
    });
    a.scripted.answers.push({ match: 'needs the Consumer Key', action: 'How to Create the App' });
    const running = vscode.commands.executeCommand<{ id: string; auth?: string } | undefined>(
      'tokenRelay.switchToOAuth',
    );
    const url = await waitFor('the authorize URL', () =>
      a.openedUrls.find((u) => u.includes('/services/oauth2/authorize')),
    );
    assert.equal(new URL(url).searchParams.get('redirect_uri'), `http://localhost:${port}/OauthRedirect`);
    const browser = await control<{ landed: string; text: string }>(
      'authorizeInChromium',
      url,
      USER.username,
      USER.password,
    );
    assert.equal(browser.landed, `http://localhost:${port}/OauthRedirect`, 'Chromium followed the redirect');
    assert.match(browser.text, /Signed in to Salesforce\. You can close this tab/);
    assert.ok(!/code=|aPrx/.test(browser.text), 'the page never shows the code');
    const profile = await running;
    assert.ok(profile, `Switch to OAuth returned nothing: ${JSON.stringify(a.scripted.messages.slice(-4))}`);
    assert.equal(profile.id, id);
    assert.equal(profile.auth, 'oauth');
    assert.ok(!pasteAsked && a.scripted.inputs.length === 1, 'the paste box was never asked for');
    a.scripted.inputs.length = 0;
    assert.ok(
      a.scripted.messages.some((m) => /Sign in to Salesforce in the browser and allow access/.test(m.text)),
      'the loopback path said to sign in in the browser',
    );
    assert.ok(
      a.logLines().some((l) => l.includes(`loopback on port ${port}`)),
      'the log says the loopback listener was used',
    );
    assert.equal(a.statusText(), '$(pass) Connected · oauth');
    const vars = envVars();
    assert.equal(vars.KEEP, 'loopback');
    assert.equal(vars.SF_AUTH, 'oauth');
    assert.equal(vars.SF_CLIENT_ID, clientId);
    assert.equal(
      await dataCall(vars.SF_INSTANCE_URL!, vars.SF_ACCESS_TOKEN!),
      200,
      'the emulator accepts the .env token',
    );
    const refresh = (await a.services.context.secrets.get(`tokenRelay.${id}.refreshToken`)) ?? '';
    assert.ok(refresh, 'the refresh token is in SecretStorage');
    const seen = [...a.scripted.messages.map((m) => m.text), ...a.logLines(), browser.text].join('\n');
    for (const secret of [vars.SF_ACCESS_TOKEN!, refresh])
      assert.ok(!seen.includes(secret), 'a token reached a message, the log or the browser page');

    // "How to Create the App" opened the README bundled with the extension at "Life after tokens".
    await waitFor(
      'the README tab',
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find((t) => /README\.md/.test(t.label) || /README/.test(t.label)),
      15_000,
    );
  });
});
