import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { addEmulatorOrg, control, env, getApi, resetState, waitForMessage } from './helpers';

const MANUAL = { username: 'manual@acme.test', password: 'Manual-Passw0rd-2' };
const FAULTS = { username: 'faults@acme.test', password: 'Faults-Passw0rd-3' };

describe('orgs and mailbox (interactive flows)', function () {
  this.timeout(60_000);
  beforeEach(async () => resetState(await getApi()));

  it('Add Org asks login URL, username, password, login kind and name; secrets go to SecretStorage only', async () => {
    const a = await getApi();
    // An invalid URL is rejected by the input's validation (the flow stops there) …
    a.scripted.picks.push('My Domain URL');
    a.scripted.inputs.push('ftp://nope');
    await vscode.commands.executeCommand('tokenRelay.addOrg');
    assert.ok(a.scripted.messages.some((m) => m.text.startsWith('input rejected')));
    assert.equal(a.services.profiles.list().length, 0);
    // … and a complete run adds the org.
    a.scripted.picks.push('My Domain URL', 'Password and security token');
    a.scripted.inputs.push(env('TOKEN_RELAY_TEST_EMULATOR_URL'), MANUAL.username, MANUAL.password, 'Manual Org');
    await vscode.commands.executeCommand('tokenRelay.addOrg');
    const org = a.services.profiles.active();
    assert.equal(org?.name, 'Manual Org');
    assert.equal(org?.username, MANUAL.username);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${org.id}.password`), MANUAL.password);
    const settingsText = JSON.stringify(vscode.workspace.getConfiguration('tokenRelay').inspect('orgs'));
    assert.ok(!settingsText.includes(MANUAL.password));
    const added = await waitForMessage(a, /added and active/);
    assert.deepEqual(added.actions, ['Reset Token', 'Enter Token Manually', 'Test Connection']);
    assert.match(a.statusText(), /Not checked · Manual Org$/);
  });

  it('Switch Org changes the active org and the status bar follows', async () => {
    const a = await getApi();
    await addEmulatorOrg(a, MANUAL, { token: await control<string>('currentToken', MANUAL.username) });
    await addEmulatorOrg(a, FAULTS, { token: await control<string>('currentToken', FAULTS.username) });
    assert.equal(a.services.profiles.active()?.username, FAULTS.username);
    a.scripted.picks.push((item) => item.description === MANUAL.username);
    await vscode.commands.executeCommand('tokenRelay.switchOrg');
    assert.equal(a.services.profiles.active()?.username, MANUAL.username);
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.equal(a.statusText(), '$(warning) Connected · manual'); // a working SOAP login: the retirement warning (issue 14)
  });

  it('Edit Org changes a field and a secret', async () => {
    const a = await getApi();
    const id = await addEmulatorOrg(a, MANUAL);
    a.scripted.picks.push('Name');
    a.scripted.inputs.push('Renamed');
    await vscode.commands.executeCommand('tokenRelay.editOrg');
    assert.equal(a.services.profiles.get(id)?.name, 'Renamed');
    a.scripted.inputs.push('New-Passw0rd-9');
    await vscode.commands.executeCommand('tokenRelay.editOrg', id, 'password');
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.password`), 'New-Passw0rd-9');
    a.scripted.picks.push('On: password + authenticator code');
    await vscode.commands.executeCommand('tokenRelay.editOrg', id, 'mfaForApi');
    assert.equal(a.services.profiles.get(id)?.mfaForApi, true);
  });

  it('Set Up Mailbox (custom server) stores the secret and Test Mailbox reports success', async () => {
    const a = await getApi();
    a.scripted.picks.push('Other IMAP server', 'STARTTLS');
    a.scripted.inputs.push(
      env('TOKEN_RELAY_TEST_IMAP_HOST'),
      env('TOKEN_RELAY_TEST_IMAP_PORT'),
      'inbox@mail.test',
      'mailbox-Secret-7731',
    );
    await vscode.workspace
      .getConfiguration('tokenRelay')
      .update('mailbox.allowInsecureTls', true, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('tokenRelay.setUpMailbox'); // runs Test Mailbox at the end
    assert.equal(await a.services.context.secrets.get('tokenRelay.mailbox.password'), 'mailbox-Secret-7731');
    const c = vscode.workspace.getConfiguration('tokenRelay');
    assert.equal(c.get('mailbox.host'), env('TOKEN_RELAY_TEST_IMAP_HOST'));
    assert.equal(c.get('mailbox.security'), 'starttls');
    assert.equal(c.get('mailbox.user'), 'inbox@mail.test');
    const m = await waitForMessage(a, /Mailbox works/);
    assert.equal(m.severity, 'info');
    assert.ok(!m.text.includes('mailbox-Secret-7731'));
  });

  it('Test Mailbox without a mailbox says what is missing', async () => {
    const a = await getApi();
    await vscode.workspace
      .getConfiguration('tokenRelay')
      .update('mailbox.host', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace
      .getConfiguration('tokenRelay')
      .update('mailbox.preset', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('tokenRelay.testMailbox');
    const m = await waitForMessage(a, /not set up/);
    assert.ok(m.actions.includes('Set Up Mailbox'));
  });
});
