import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { setEnvText } from '../../src/core/dotenv';
import * as path from 'node:path';
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

const MANUAL = { username: 'manual@acme.test', password: 'Manual-Passw0rd-2' };

describe('Enter Token Manually and .env', function () {
  this.timeout(60_000);
  beforeEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await resetState(await getApi());
  });

  it('warns once when git does not ignore .env and adds it to .gitignore on request', async () => {
    const a = await getApi();
    const gitignore = path.join(workspaceRoot(), '.gitignore');
    fs.rmSync(gitignore, { force: true });
    // "Once per file" is remembered in workspaceState: an earlier suite that wrote .env (a reset) may have used it up.
    await a.services.context.workspaceState.update(`gitignoreWarned:${path.resolve(envPath())}`, undefined);
    await addEmulatorOrg(a, MANUAL, { token: await control<string>('currentToken', MANUAL.username) });
    a.scripted.reset();
    a.scripted.answers.push({ match: 'git does not ignore', action: 'Add to .gitignore' });
    await vscode.commands.executeCommand('tokenRelay.writeEnv');
    await waitFor('.gitignore', () => readText(gitignore)?.includes('/.env'));
    const warnings = a.scripted.messages.filter((m) => m.text.includes('git does not ignore'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].severity, 'warn');
    await vscode.commands.executeCommand('tokenRelay.writeEnv');
    assert.equal(a.scripted.messages.filter((m) => m.text.includes('git does not ignore')).length, 1, 'warned once');
  });

  it('notices an outside edit of .env that differs from SecretStorage and imports it on request', async () => {
    const a = await getApi();
    const id = await addEmulatorOrg(a, MANUAL, { token: await control<string>('currentToken', MANUAL.username) });
    await vscode.commands.executeCommand('tokenRelay.writeEnv');
    a.scripted.reset();
    a.scripted.answers.push({ match: 'edited outside Token Relay', action: 'Import' });
    const text = readText(envPath())!;
    fs.writeFileSync(envPath(), text.replace(/^SF_SECURITY_TOKEN=.*$/m, 'SF_SECURITY_TOKEN=EDITEDOUTSIDEEDITEDOUTSID'));
    await waitFor(
      'the import offer',
      () => a.scripted.messages.find((m) => m.text.includes('edited outside Token Relay')),
      20_000,
    );
    await waitFor(
      'the imported token',
      async () => (await a.services.context.secrets.get(`tokenRelay.${id}.token`)) === 'EDITEDOUTSIDEEDITEDOUTSID',
    );
  });

  it('validates the input, then stores, writes .env and tests', async () => {
    const a = await getApi();
    fs.writeFileSync(envPath(), 'KEEP=me\n');
    const id = await addEmulatorOrg(a, MANUAL);
    const token = await control<string>('currentToken', MANUAL.username);
    a.scripted.reset();
    a.scripted.inputs.push('too short');
    await vscode.commands.executeCommand('tokenRelay.enterTokenManually');
    assert.ok(a.scripted.messages.some((m) => /input rejected: .*no spaces|input rejected/.test(m.text)));
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.token`), undefined);
    a.scripted.inputs.push(` ${token} `);
    await vscode.commands.executeCommand('tokenRelay.enterTokenManually');
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.token`), token);
    const text = readText(envPath())!;
    assert.ok(text.startsWith('KEEP=me\n'));
    assert.match(text, new RegExp(`^SF_SECURITY_TOKEN=${token}$`, 'm'));
    assert.match(a.statusText(), /^\$\(warning\) Connected · manual$/);
    await waitForMessage(a, /stored in SecretStorage/);
  });

  it('keeps unsaved edits of an open .env editor (WorkspaceEdit)', async () => {
    const a = await getApi();
    fs.writeFileSync(envPath(), 'A=1\nSF_SECURITY_TOKEN=OLDOLDOLDOLDOLDOLDOLDOLD1\nZ=26\n');
    await addEmulatorOrg(a, MANUAL);
    const doc = await vscode.workspace.openTextDocument(envPath());
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '# my unsaved note\n'));
    assert.ok(doc.isDirty);
    const dirty = doc.getText();
    const onDisk = readText(envPath());
    const token = await control<string>('currentToken', MANUAL.username);
    a.scripted.reset();
    a.scripted.inputs.push(token);
    await vscode.commands.executeCommand('tokenRelay.enterTokenManually');
    assert.ok(doc.isDirty, `the editor stays dirty: the user saves. Log:\n${a.logLines().slice(-8).join('\n')}`);
    assert.equal(readText(envPath()), onDisk, 'the file on disk is untouched');
    const text = doc.getText();
    assert.ok(text.startsWith('# my unsaved note\nA=1\n'), 'the unsaved edit is kept');
    assert.match(text, new RegExp(`^SF_SECURITY_TOKEN=${token}$`, 'm'));
    const expected = setEnvText(dirty, {
      SF_USERNAME: MANUAL.username,
      SF_LOGIN_URL: process.env.TOKEN_RELAY_TEST_EMULATOR_URL!,
      SF_SECURITY_TOKEN: token,
    });
    assert.equal(text, expected, 'only the target keys changed in the editor');
    const m = await waitForMessage(a, /unsaved editor/);
    assert.ok(m.actions.includes('Open .env'), JSON.stringify(a.scripted.messages));
    await doc.save();
    assert.equal(readText(envPath()), text);
  });

  it('imports an org from the workspace .env into settings and SecretStorage', async () => {
    const a = await getApi();
    const token = await control<string>('currentToken', MANUAL.username);
    fs.writeFileSync(
      envPath(),
      `SF_USERNAME=${MANUAL.username}\nSF_PASSWORD=${MANUAL.password}\nSF_SECURITY_TOKEN=${token}\nSF_LOGIN_URL=${process.env.TOKEN_RELAY_TEST_EMULATOR_URL}\n`,
    );
    await vscode.commands.executeCommand('tokenRelay.importOrgFromEnv');
    const org = a.services.profiles.active();
    assert.equal(org?.username, MANUAL.username);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${org.id}.password`), MANUAL.password);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${org.id}.token`), token);
    const raw = JSON.stringify(vscode.workspace.getConfiguration('tokenRelay').get('orgs'));
    assert.ok(!raw.includes(MANUAL.password) && !raw.includes(token), 'no secret in settings');
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.match(a.statusText(), /Connected/);
  });

  it('offers to import a workspace .env with Salesforce credentials when no org exists', async () => {
    const a = await getApi();
    const token = await control<string>('currentToken', MANUAL.username);
    fs.writeFileSync(
      envPath(),
      `# project\nSF_USERNAME=${MANUAL.username}\nSF_PASSWORD=${MANUAL.password}\nSF_SECURITY_TOKEN=${token}\nSF_LOGIN_URL=${process.env.TOKEN_RELAY_TEST_EMULATOR_URL}\n`,
    );
    assert.equal(a.services.profiles.list().length, 0);
    a.scripted.answers.push({ match: 'has Salesforce credentials', action: 'Import' });
    await a.offerImport();
    const offer = a.scripted.messages.find((m) => m.text.includes('has Salesforce credentials'));
    assert.ok(offer && offer.text.includes(MANUAL.username) && !offer.text.includes(MANUAL.password));
    assert.equal(a.services.profiles.active()?.username, MANUAL.username);
    // With an org, no more offers.
    a.scripted.reset();
    await a.offerImport();
    assert.equal(a.scripted.messages.length, 0);
  });

  it('Remove Org forgets its secrets', async () => {
    const a = await getApi();
    const id = await addEmulatorOrg(a, MANUAL);
    assert.ok(await a.services.context.secrets.get(`tokenRelay.${id}.password`));
    a.scripted.answers.push({ match: 'Remove the org', action: 'Remove' });
    await vscode.commands.executeCommand('tokenRelay.removeOrg', id);
    assert.equal(a.services.profiles.get(id), undefined);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.password`), undefined);
  });
});
