import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { setEnvText } from '../../src/core/dotenv';
import {
  addEmulatorOrg,
  clickResetButton,
  control,
  envPath,
  getApi,
  readText,
  resetState,
  setUpTestMailbox,
  waitFor,
  waitForMessage,
} from './helpers';

const RESET = { username: 'reset@acme.test', password: 'Reset-Passw0rd-1' };

describe('Reset Token', function () {
  this.timeout(90_000);

  beforeEach(async () => {
    await resetState(await getApi());
    for (const d of vscode.workspace.textDocuments)
      if (d.uri.fsPath === envPath()) await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('watches, opens the reset page, stores the token, writes .env keeping every other byte, and turns the status bar green', async () => {
    const a = await getApi();
    // A .env with content the user cares about: comments, other keys, CRLF, an old token, no final newline.
    const original =
      '# Salesforce\r\nAPP_NAME="my app"\r\nSF_SECURITY_TOKEN=OLDTOKENOLDTOKENOLDTOKEN1\r\n\r\n# end\r\nOTHER=1';
    fs.writeFileSync(envPath(), original);
    const id = await addEmulatorOrg(a, RESET);
    await setUpTestMailbox();
    a.scripted.reset();

    const done = vscode.commands.executeCommand('tokenRelay.resetToken');
    const url = await waitFor('the reset page to be opened', () => a.openedUrls.at(-1), 45_000);
    assert.match(url, /\/lightning\/settings\/personal\/ResetApiToken\/home/);
    assert.doesNotMatch(url, /ResetApiTokenConfirm/);
    assert.match(a.statusText(), /reset|Not checked|Checking|Connected|\$\(/); // item exists throughout
    await clickResetButton(url, RESET.username);
    await done;

    const token = await control<string>('currentToken', RESET.username);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.token`), token, 'token in SecretStorage');
    const expected = setEnvText(original, {
      SF_USERNAME: RESET.username,
      SF_LOGIN_URL: process.env.TOKEN_RELAY_TEST_EMULATOR_URL!,
      SF_SECURITY_TOKEN: token,
    });
    assert.equal(readText(envPath()), expected, '.env: only the target keys changed');
    assert.ok(readText(envPath())!.startsWith('# Salesforce\r\nAPP_NAME="my app"\r\n'));
    assert.match(a.statusText(), /^\$\(warning\) Connected · reset$/);
    assert.match(a.statusTooltip(), /command:tokenRelay\.testConnection/);
    // The verification code mail that came first was shown with a Copy button.
    const code = await waitForMessage(a, /verification code/i);
    assert.deepEqual(code.actions, ['Copy']);
    // The closing message says what changed, with "Open .env"; no secret in any message.
    const closing = await waitForMessage(a, /stored in SecretStorage/);
    assert.ok(closing.actions.includes('Open .env'));
    assert.match(closing.text, /SF_SECURITY_TOKEN/);
    for (const m of a.scripted.messages) {
      assert.ok(!m.text.includes(token), `message leaks the token: ${m.text}`);
      assert.ok(!m.text.includes(RESET.password), `message leaks the password: ${m.text}`);
    }
    assert.ok(a.scripted.progressTitles.some((t) => t.includes('Reset Token')));
    assert.ok(
      a.scripted.progressReports.some((r) => /\d+:\d\d \/ \d+:\d\d/.test(r)),
      'progress shows elapsed time and timeout',
    );
    for (const l of a.logLines())
      assert.ok(!l.includes(token) && !l.includes(RESET.password), `log leaks a secret: ${l}`);
  });

  it('reads a Japanese token mail (a sandbox user with a Japanese locale)', async () => {
    const a = await getApi();
    const JA = { username: 'yamada@acme.test.dev', password: 'Yamada-Passw0rd-6' };
    const id = await addEmulatorOrg(a, JA);
    await setUpTestMailbox();
    a.scripted.reset();
    const before = a.openedUrls.length;
    const done = vscode.commands.executeCommand('tokenRelay.resetToken');
    await waitFor('the reset page to be opened', () => a.openedUrls.length > before && a.openedUrls.at(-1), 45_000);
    await clickResetButton(a.openedUrls.at(-1)!, JA.username);
    await done;
    const token = await control<string>('currentToken', JA.username);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.token`), token);
    assert.match(a.statusText(), /^\$\(warning\) Connected · yamada$/);
  });

  it('is cancellable from its progress notification', async () => {
    const a = await getApi();
    const id = await addEmulatorOrg(a, RESET);
    await setUpTestMailbox();
    await a.services.context.secrets.store(`tokenRelay.${id}.token`, 'BEFORECANCELBEFORECANCEL1');
    a.scripted.reset();
    const before = a.openedUrls.length;
    const done = vscode.commands.executeCommand('tokenRelay.resetToken');
    await waitFor('the reset page to be opened', () => a.openedUrls.length > before, 45_000);
    assert.equal(a.scripted.cancelProgress(), true);
    await done;
    const m = await waitForMessage(a, /cancelled/i);
    assert.ok(m.actions.includes('Enter Token Manually'));
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.token`), 'BEFORECANCELBEFORECANCEL1');
  });

  it('offers Enter Token Manually when no token mail arrives in time', async () => {
    const a = await getApi();
    await addEmulatorOrg(a, RESET);
    await setUpTestMailbox();
    await vscode.workspace
      .getConfiguration('tokenRelay')
      .update('reset.timeoutSeconds', 2, vscode.ConfigurationTarget.Global);
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.resetToken');
    const m = await waitForMessage(a, /No token mail/);
    assert.equal(m.severity, 'warn');
    assert.ok(m.actions.includes('Enter Token Manually'));
  });

  it('without a mailbox offers to set one up or enter the token manually', async () => {
    const a = await getApi();
    await addEmulatorOrg(a, RESET);
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.resetToken');
    const m = await waitForMessage(a, /mailbox/);
    assert.ok(m.actions.includes('Set Up Mailbox'));
    assert.ok(m.actions.some((x) => /Enter Manually/.test(x)));
  });

  it('explains that MFA-for-API orgs have no token and asks for the code when testing', async () => {
    const a = await getApi();
    await addEmulatorOrg(a, { username: 'mfa@acme.test', password: 'Mfa-Passw0rd-4' }, { mfaForApi: true });
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.resetToken');
    await waitForMessage(a, /multi-factor authentication/);
    a.scripted.inputs.push('246810');
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.match(a.statusText(), /^\$\(warning\) Connected · mfa$/);
  });
});
