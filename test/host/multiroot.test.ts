/** Runs only in the multi-root launch: an org bound to each folder; the status bar follows the active editor. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { addEmulatorOrg, control, getApi, resetState, waitFor } from './helpers';

const MANUAL = { username: 'manual@acme.test', password: 'Manual-Passw0rd-2' };
const FAULTS = { username: 'faults@acme.test', password: 'Faults-Passw0rd-3' };

async function focusFolder(name: string): Promise<void> {
  const f = vscode.workspace.workspaceFolders!.find((x) => x.name === name)!;
  const doc = await vscode.workspace.openTextDocument(path.join(f.uri.fsPath, 'README.md'));
  await vscode.window.showTextDocument(doc);
}

describe('multi-root workspace', function () {
  this.timeout(60_000);

  it('binds an org to each folder; the status bar follows the active editor', async () => {
    const a = await getApi();
    await resetState(a);
    assert.equal(vscode.workspace.workspaceFolders?.length, 2);
    await focusFolder('a');
    const manualId = await addEmulatorOrg(a, MANUAL, { token: await control<string>('currentToken', MANUAL.username) });
    await focusFolder('b');
    const faultsId = await addEmulatorOrg(a, FAULTS, { token: await control<string>('currentToken', FAULTS.username) });
    const [fa, fb] = vscode.workspace.workspaceFolders;
    const c = (f: vscode.WorkspaceFolder) =>
      vscode.workspace.getConfiguration('tokenRelay', f.uri).inspect<string>('activeOrg');
    assert.equal(c(fa)?.workspaceFolderValue, manualId);
    assert.equal(c(fb)?.workspaceFolderValue, faultsId);

    await focusFolder('a');
    await waitFor('the status bar for folder a', () => a.statusText().endsWith('· manual')).catch((e) => {
      throw new Error(
        `${e.message}: "${a.statusText()}", active ${a.services.profiles.active()?.id}, editor ${vscode.window.activeTextEditor?.document.uri.fsPath}, log ${a.logLines().slice(-6).join(' | ')}`,
      );
    });
    assert.equal(a.services.profiles.active()?.id, manualId);
    await focusFolder('b');
    await waitFor('the status bar for folder b', () => a.statusText().endsWith('· faults'));

    // Switch Org rebinds only the current folder.
    a.scripted.picks.push((item) => item.description === MANUAL.username);
    await vscode.commands.executeCommand('tokenRelay.switchOrg');
    assert.equal(c(fb)?.workspaceFolderValue, manualId);
    assert.equal(c(fa)?.workspaceFolderValue, manualId);
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.equal(a.statusText(), '$(warning) Connected · manual'); // a working SOAP login: the retirement warning (issue 14)
  });
});
