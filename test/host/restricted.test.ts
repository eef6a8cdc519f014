/** Runs only in the second launch, without --disable-workspace-trust (Restricted Mode). */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { addEmulatorOrg, envPath, getApi, readText, resetState, waitForMessage } from './helpers';

const USER = { username: 'restricted@acme.test', password: 'Restricted-Passw0rd-5' };

describe('Restricted Mode', function () {
  this.timeout(60_000);

  it('runs in an untrusted workspace', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'this launch must not pass --disable-workspace-trust');
    await resetState(await getApi());
  });

  it('makes no startup import offer and does not read .env (not even a FIFO that would hang a reader)', async () => {
    const a = await getApi();
    assert.equal(a.services.profiles.list().length, 0);
    const offer = async () => {
      a.scripted.reset();
      await Promise.race([
        a.offerImport(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the startup offer hangs')), 5000)),
      ]);
      assert.equal(a.scripted.messages.length, 0, 'no offer in Restricted Mode');
      assert.equal(a.services.profiles.list().length, 0);
    };
    try {
      // A regular .env naming a Salesforce user: a trusted workspace would get the offer; this one does not.
      fs.writeFileSync(envPath(), `SF_USERNAME=${USER.username}\nSF_PASSWORD=${USER.password}\n`);
      await offer();
      // A FIFO in its place: nothing blocks.
      fs.rmSync(envPath(), { force: true });
      if (process.platform !== 'win32') {
        execFileSync('mkfifo', [envPath()]);
        await offer();
      }
    } finally {
      fs.rmSync(envPath(), { force: true });
    }
  });

  it('refuses to write .env and says why', async () => {
    const a = await getApi();
    fs.writeFileSync(envPath(), 'UNTOUCHED=1\n');
    await addEmulatorOrg(a, USER);
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.writeEnv');
    const m = await waitForMessage(a, /Restricted Mode/);
    assert.ok(m.actions.includes('Manage Workspace Trust'));
    assert.equal(readText(envPath()), 'UNTOUCHED=1\n');
  });

  it('refuses Reset Token and says why', async () => {
    const a = await getApi();
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.resetToken');
    await waitForMessage(a, /Restricted Mode/);
    assert.equal(a.openedUrls.length, 0, 'no browser opened');
  });

  it('stores a manually entered token but does not write .env or test automatically', async () => {
    const a = await getApi();
    const started = a.health.testsStarted;
    a.scripted.reset();
    a.scripted.inputs.push('RESTRICTEDTOKENRESTRICTED');
    await vscode.commands.executeCommand('tokenRelay.enterTokenManually');
    const org = a.services.profiles.active()!;
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${org.id}.token`), 'RESTRICTEDTOKENRESTRICTED');
    assert.equal(readText(envPath()), 'UNTOUCHED=1\n');
    await waitForMessage(a, /Restricted Mode/);
    // An outside change of the secrets would normally trigger a test.
    await a.services.context.secrets.store(`tokenRelay.${org.id}.password`, 'Other-Window-Change-1');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(a.health.testsStarted, started, 'no automatic test in Restricted Mode');
  });

  it('still tests the login when the user asks', async () => {
    const a = await getApi();
    const org = a.services.profiles.active()!;
    await a.services.context.secrets.store(`tokenRelay.${org.id}.password`, USER.password);
    await a.services.context.secrets.delete(`tokenRelay.${org.id}.token`);
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.ok(/Token required|Login rejected|Connected/.test(a.statusText()), a.statusText());
  });
});
