/**
 * Import Org from Salesforce CLI, the startup offer for sf projects, and keeping an sf-cli org's .env fresh (issue
 * 14) in code-server's real extension host, with the REAL sf CLI (the tools cache's) logged in to the emulator: the
 * harness gives the extension host a temp HOME (scripts/lib/hostSfCli.ts) and logs sf in there on demand (control op
 * `sfLogin`: `sf org login web` through the emulator's authorize page, so sf holds a refresh token). The sf path
 * reaches the extension through its setting `tokenRelay.sfCli.path`. Without a local sf the suite says so and skips;
 * under CI=true the harness fails instead.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseEnv } from '../../src/core/dotenv';
import {
  addEmulatorOrg,
  control,
  envPath,
  getApi,
  readText,
  resetState,
  waitFor,
  waitForMessage,
  workspaceRoot,
} from './helpers';

const USER = 'sfcli@acme.test';
const ALIAS = 'acme-sf';

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

async function setSfPath(p: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('tokenRelay').update('sfCli.path', p, vscode.ConfigurationTarget.Global);
}

describe('sf CLI: Import Org from Salesforce CLI, startup offer, fresh .env (real sf)', function () {
  this.timeout(240_000);
  const sfPath = process.env.TOKEN_RELAY_TEST_SF_PATH;
  const tokensSeen = new Set<string>();
  const project = ['sfdx-project.json', path.join('.sf', 'config.json')];

  before(async function () {
    if (!sfPath) {
      console.log('    (the real sf CLI is not installed here: node scripts/lib/sfCli.mjs install; skipping)');
      this.skip();
    }
    const r = await control<{ alias?: string; skipped?: string }>('sfLogin', ALIAS);
    if (r.skipped) {
      console.log(`    (${r.skipped}; skipping)`);
      this.skip();
    }
    const a = await getApi();
    await resetState(a);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSfPath(sfPath);
    fs.writeFileSync(envPath(), 'KEEP=me\n');
  });

  after(async () => {
    const a = await getApi();
    // Canary: no access token the emulator handed out reached the log or a notification.
    const seen = [...tokensSeen].filter(Boolean);
    const outputs = [...a.logLines(), ...a.scripted.messages.map((m) => `${m.text} ${m.actions.join(' ')}`)];
    for (const t of seen)
      assert.ok(!outputs.some((l) => l.includes(t)), 'an access token reached the log or a notification');
    await resetState(a);
    await setSfPath(undefined);
    for (const f of project) fs.rmSync(path.join(workspaceRoot(), f), { force: true });
    fs.rmSync(path.join(workspaceRoot(), '.sf'), { recursive: true, force: true });
  });

  it('imports the org from the quick pick: profile sf-cli, .env holds a token the emulator accepts, Connected', async () => {
    const a = await getApi();
    a.scripted.reset();
    a.scripted.picks.push((item) => item.label.includes(ALIAS));
    const profile = await vscode.commands.executeCommand<
      { id: string; auth?: string; targetOrg?: string; username: string } | undefined
    >('tokenRelay.importFromSfCli');
    assert.ok(profile, `the import returned nothing: ${JSON.stringify(a.scripted.messages.slice(-4))}`);
    assert.equal(profile.auth, 'sf-cli');
    assert.equal(profile.targetOrg, ALIAS);
    assert.equal(profile.username, USER);
    assert.ok(
      a.scripted.progressTitles.some((t) => t.includes('asking sf for its orgs')),
      'sf ran under a progress notification',
    );
    const vars = envVars();
    assert.ok(readText(envPath())!.startsWith('KEEP=me\n'), 'other lines kept');
    assert.equal(vars.SF_AUTH, 'sf-cli');
    assert.equal(vars.SF_TARGET_ORG, ALIAS);
    assert.equal(vars.SF_USERNAME, USER);
    assert.ok(vars.SF_INSTANCE_URL && vars.SF_ACCESS_TOKEN);
    tokensSeen.add(vars.SF_ACCESS_TOKEN);
    assert.equal(await dataCall(vars.SF_INSTANCE_URL, vars.SF_ACCESS_TOKEN), 200, 'the emulator accepts it');
    await waitFor('Connected', () => a.statusText().startsWith('$(pass) Connected'));
    assert.equal(
      await a.services.context.secrets.get(`tokenRelay.${profile.id}.accessToken`),
      vars.SF_ACCESS_TOKEN,
      'the access token is in SecretStorage',
    );
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${profile.id}.refreshToken`), undefined);
  });

  it('the emulator expires the token: the health check asks sf again and rewrites .env with a working one', async () => {
    const a = await getApi();
    const old = envVars().SF_ACCESS_TOKEN;
    assert.ok(old);
    assert.ok((await control<number>('expireAccessTokens', USER)) >= 1, 'the emulator expired a token');
    assert.equal(await dataCall(envVars().SF_INSTANCE_URL, old), 401, 'the old token is dead');
    const h = await a.services.monitor.checkFresh({ reason: 'host test: after expiry' });
    assert.equal(h?.status, 'ok', JSON.stringify(h));
    const vars = await waitFor('a new token in .env', () => {
      const v = envVars();
      return v.SF_ACCESS_TOKEN && v.SF_ACCESS_TOKEN !== old ? v : undefined;
    });
    tokensSeen.add(vars.SF_ACCESS_TOKEN);
    assert.equal(await dataCall(vars.SF_INSTANCE_URL, vars.SF_ACCESS_TOKEN), 200, 'the new .env token works');
    assert.ok(
      a.logLines().some((l) => /asking the sf CLI for a fresh access token/.test(l)),
      'the log says sf was asked',
    );
  });

  it('a click on the status bar asks sf again and rewrites .env', async () => {
    const a = await getApi();
    const before = envVars().SF_ACCESS_TOKEN;
    assert.equal(a.statusCommand(), 'tokenRelay.testConnection');
    await control('expireAccessTokens', USER);
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    const vars = await waitFor('a new token in .env', () => {
      const v = envVars();
      return v.SF_ACCESS_TOKEN && v.SF_ACCESS_TOKEN !== before ? v : undefined;
    });
    tokensSeen.add(vars.SF_ACCESS_TOKEN);
    assert.equal(await dataCall(vars.SF_INSTANCE_URL, vars.SF_ACCESS_TOKEN), 200);
    await waitFor('Connected', () => a.statusText().startsWith('$(pass) Connected'));
  });

  it('the startup offer appears for an sfdx-project.json workspace whose default org sf knows, and imports it', async () => {
    const a = await getApi();
    await resetState(a);
    fs.writeFileSync(envPath(), '');
    const root = workspaceRoot();
    fs.writeFileSync(
      path.join(root, 'sfdx-project.json'),
      JSON.stringify({ packageDirectories: [{ path: 'force-app' }] }),
    );
    fs.mkdirSync(path.join(root, '.sf'), { recursive: true });
    fs.writeFileSync(path.join(root, '.sf', 'config.json'), JSON.stringify({ 'target-org': ALIAS }));
    a.scripted.answers.push({ match: 'Salesforce CLI is logged in to', action: 'Import' });
    await a.offerSfImport();
    const offer = await waitForMessage(a, /Salesforce CLI is logged in to/);
    assert.deepEqual(offer.actions, ['Import', 'Not Now', "Don't Ask Again"]);
    const org = await waitFor('the imported org', () => a.services.profiles.list()[0]);
    assert.equal(org.auth, 'sf-cli');
    await waitFor('.env written', () => envVars().SF_AUTH === 'sf-cli' && envVars().SF_TARGET_ORG === ALIAS);
    tokensSeen.add(envVars().SF_ACCESS_TOKEN);
    // "Don't Ask Again" is remembered: no second offer.
    await resetState(a);
    a.scripted.answers.push({ match: 'Salesforce CLI is logged in to', action: "Don't Ask Again" });
    await a.offerSfImport();
    await waitForMessage(a, /Salesforce CLI is logged in to/);
    a.scripted.reset();
    await a.offerSfImport();
    assert.ok(!a.scripted.messages.some((m) => /Salesforce CLI is logged in to/.test(m.text)), 'not offered again');
    await a.services.context.workspaceState.update('tokenRelay.sfImportOffered', undefined);
  });

  it('switches an org on password to the sf CLI login after a confirmation; the password keys go only when agreed', async () => {
    const a = await getApi();
    await resetState(a);
    fs.writeFileSync(envPath(), 'KEEP=me\n');
    const id = await addEmulatorOrg(
      a,
      { username: USER, password: 'SfCli-Passw0rd-8' },
      {
        token: await control<string>('currentToken', USER),
      },
    );
    await vscode.commands.executeCommand('tokenRelay.writeEnv');
    assert.ok(envVars().SF_SECURITY_TOKEN, 'the password org wrote its token');
    a.scripted.reset();
    a.scripted.picks.push((item) => item.label.includes(ALIAS));
    a.scripted.answers.push({ match: 'to the Salesforce CLI login?', action: 'Switch' });
    a.scripted.answers.push({ match: 'from .env?', action: 'Remove Them' });
    const profile = await vscode.commands.executeCommand<{ id: string; auth?: string } | undefined>(
      'tokenRelay.importFromSfCli',
    );
    assert.ok(profile, `the import returned nothing: ${JSON.stringify(a.scripted.messages.slice(-4))}`);
    assert.equal(profile.id, id, 'the same org, switched');
    assert.equal(profile.auth, 'sf-cli');
    assert.ok(
      a.scripted.messages.some((m) => m.severity === 'confirm' && /to the Salesforce CLI login\?/.test(m.text)),
      'asked before switching the method',
    );
    const vars = envVars();
    assert.equal(vars.SF_AUTH, 'sf-cli');
    assert.equal(vars.SF_SECURITY_TOKEN, undefined, 'removed as agreed');
    tokensSeen.add(vars.SF_ACCESS_TOKEN);
    assert.equal(await dataCall(vars.SF_INSTANCE_URL, vars.SF_ACCESS_TOKEN), 200);
  });

  it("the keeper's timer asks sf again before the token's lifetime ends and rewrites .env", async () => {
    const a = await getApi();
    a.scripted.reset();
    const profile = await vscode.commands.executeCommand<{ id: string } | undefined>(
      'tokenRelay.importFromSfCli',
      ALIAS,
    );
    assert.ok(profile, `the import returned nothing: ${JSON.stringify(a.scripted.messages.slice(-4))}`);
    const before = envVars().SF_ACCESS_TOKEN;
    tokensSeen.add(before);
    await control('expireAccessTokens', USER);
    const c = vscode.workspace.getConfiguration('tokenRelay');
    await c.update('oauth.lifetimeMinutes', 0.05, vscode.ConfigurationTarget.Global); // 3 s: the timer runs soon
    try {
      const vars = await waitFor(
        'the timer to write a new token',
        () => {
          const v = envVars();
          return v.SF_ACCESS_TOKEN && v.SF_ACCESS_TOKEN !== before ? v : undefined;
        },
        120_000,
      );
      tokensSeen.add(vars.SF_ACCESS_TOKEN);
      assert.equal(await dataCall(vars.SF_INSTANCE_URL, vars.SF_ACCESS_TOKEN), 200, 'the timer wrote a working token');
    } finally {
      await c.update('oauth.lifetimeMinutes', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a dead sf login: signin-required with "Sign in with the sf CLI", which opens a terminal running sf org login web', async () => {
    const a = await getApi();
    a.scripted.reset();
    await control('revokeRefreshTokens', USER);
    await control('expireAccessTokens', USER);
    a.scripted.answers.push({ match: 'Sign-in required', action: 'Sign in with the sf CLI' });
    const opened = new Promise<vscode.Terminal>((resolve) => {
      const sub = vscode.window.onDidOpenTerminal((t) => {
        if (t.name === 'Salesforce CLI login') {
          sub.dispose();
          resolve(t);
        }
      });
    });
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    const m = await waitForMessage(a, /Sign-in required/, 120_000);
    assert.deepEqual(m.actions, ['Sign in with the sf CLI', 'Show Log']);
    assert.match(m.text, new RegExp(`sf org login web -o ${ALIAS}`));
    await waitFor('the status bar to say Sign-in required', () => a.statusText().includes('Sign-in required'));
    const terminal = await opened;
    const options = terminal.creationOptions as vscode.TerminalOptions;
    assert.deepEqual(options.shellArgs?.slice(0, 5), ['org', 'login', 'web', '-o', ALIAS]);
    // Closed without signing in: the user is offered "Test Again".
    terminal.dispose();
    const after = await waitForMessage(a, /did not finish/);
    assert.deepEqual(after.actions, ['Test Again']);
  });

  it('no sf CLI: a clear message with how to install it and a button opening the setting', async () => {
    const a = await getApi();
    a.scripted.reset();
    await setSfPath(path.join(workspaceRoot(), 'no-such-dir', 'sf'));
    const r = await vscode.commands.executeCommand('tokenRelay.importFromSfCli');
    assert.equal(r, undefined);
    const m = await waitForMessage(a, /Salesforce CLI \(sf\) was not found/);
    assert.match(m.text, /npm install --global @salesforce\/cli/);
    assert.match(m.text, /tokenRelay\.sfCli\.path/);
    assert.deepEqual(m.actions, ['How to Install', 'Open Setting']);
    await setSfPath(sfPath);
  });
});
