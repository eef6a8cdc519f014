import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, getApi, resetState } from './helpers';

describe('activation', () => {
  // Must run before anything logs in: mocha loads files in name order and this one sorts first.
  it('registers every contributed command and the status bar item', async () => {
    const a = await getApi();
    // Activation registers placeholders only: the command code (dist/extension-lazy.js) loads on first use.
    assert.equal(a.implLoaded(), false, 'activation loaded the on-demand bundle');
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pkg = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8')) as {
      contributes: { commands: Array<{ command: string }> };
    };
    const contributed = pkg.contributes.commands.map((c) => c.command);
    assert.equal(contributed.length, 16); // 12 + Switch to OAuth, Sign Out (issue 13) + Import Org from Salesforce CLI, Check Readiness (issue 14)
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of contributed) assert.ok(registered.has(id), `${id} is not registered`);
    const item = a.services.statusBar.item;
    assert.equal(item.id, 'tokenRelay.health');
    assert.equal(item.name, 'Salesforce Connection');
    // A placeholder runs the real handler: Show Log is the cheapest command.
    await vscode.commands.executeCommand('tokenRelay.showLog');
    assert.equal(a.implLoaded(), true);
    assert.deepEqual(
      a.loadedLibraries(),
      [],
      'the command code must not load jsforce, imapflow or mailparser by itself',
    );
  });

  it('shows "set up" in the status bar without an org, and its click adds one', async () => {
    const a = await getApi();
    await resetState(a);
    a.services.monitor.refreshView();
    assert.match(a.statusText(), /^\$\(plug\) /);
    assert.equal(a.statusCommand(), 'tokenRelay.addOrg');
    assert.match(a.statusTooltip(), /command:tokenRelay\.addOrg/);
  });

  it('loads no heavy library at activation (jsforce, imapflow, mailparser load on first use)', async () => {
    const a = await getApi();
    assert.ok(
      a.logLines().some((l) => l.includes('activated')),
      'no activation line in the log',
    );
    // This file runs first: no login or mailbox use has happened yet in this host.
    assert.deepEqual(a.loadedLibraries(), []);
  });
});
